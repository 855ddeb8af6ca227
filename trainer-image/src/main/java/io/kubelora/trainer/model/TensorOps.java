package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Backpropagation and array lifetimes. An array's handle keeps its memory alive until it is closed, whether or not
 * autograd still needs it (autograd keeps its own references to what backward reads), so every intermediate of a
 * layer is released as soon as the op that consumes it has run: that, not the graph, decides activation memory.
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

    /** Runs {@code op} in its own NDScope: every array it creates is closed when it returns, except its result. */
    static NDArray scoped(Supplier<NDArray> op) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = op.get();
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}
