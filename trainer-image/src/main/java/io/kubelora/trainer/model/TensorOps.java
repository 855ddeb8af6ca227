package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few composite operations of the decoder, written with differentiable DJL ops only. Constants on the
 * gradient path are arrays kept alive by their owner, never {@code mul(Number)} and friends (those free
 * their scalar before backward reads it).
 */
final class TensorOps {

    private TensorOps() {
    }

    /**
     * Backpropagates {@code upstreamGradient} (shaped like {@code output}) through the graph that made
     * {@code output}, adding into the gradients of its leaves.
     */
    static void backward(NDArray output, NDArray upstreamGradient) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) upstreamGradient, false, false);
    }

    /** RMSNorm (Zhang and Sennrich 2019): x / sqrt(mean(x^2) + eps) * weight over the last axis. */
    static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true); // [..., 1]
        return x.div(meanSquare.add(eps).sqrt()).mul(weight);      // [..., D]
    }

    /** SiLU(x) = x * sigmoid(x). */
    static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /**
     * Rotary position embedding (Su et al. 2021) in the Hugging Face "rotate half" layout:
     * x*cos + rotate_half(x)*sin with rotate_half(x) = [-x2, x1]. The sign of the first half is folded
     * into {@code signedSin}, so this is x*cos + [x2, x1]*signedSin.
     */
    static NDArray rotate(NDArray x, NDArray cos, NDArray signedSin, int headDim) {
        int half = headDim / 2;
        NDArray swapped = NDArrays.concat(new NDList(
                x.get(new NDIndex("..., {}:", half)),               // x2 [..., hd/2]
                x.get(new NDIndex("..., :{}", half))), -1);         // x1 [..., hd/2]
        return x.mul(cos).add(swapped.mul(signedSin));              // [..., hd]
    }
}
