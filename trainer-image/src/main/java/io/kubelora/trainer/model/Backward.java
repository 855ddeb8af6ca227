package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;

/**
 * Forward and backward of one micro-batch, in the two ways a run can choose: through one graph of the decoder,
 * or with activation checkpointing (Chen et al. 2016), which keeps only each decoder layer's input and
 * recomputes the layer, from the top down, once its upstream gradient is known. Either way the graph is cut at
 * the last hidden state, so that the head's loss can be backpropagated chunk by chunk first.
 */
final class Backward {

    private Backward() {
    }

    /** One graph through all layers; returns the summed loss. Requires grad mode on. */
    static LossSum full(Decoder decoder, LmHead head, StepContext s, long[] tokenIds, Targets targets,
                        NDArray lossScale) {
        NDArray x = decoder.forward(tokenIds, s, null);                                // [B, T, D]
        NDArray top = x.stopGradient();                                                // a leaf sharing x's data
        top.setRequiresGradient(true);
        LossSum loss = head.lossSum(top, targets, s, lossScale);
        try (NDArray upstream = top.getGradient()) {                                   // [B, T, D]
            TensorOps.backward(x, upstream);
        }
        return loss;
    }

    /**
     * Forward with grad mode off keeping each layer's input; backward of the head to the last hidden
     * state; then per layer from the top: recompute with grad from its saved input, backprop the upstream
     * gradient, and pass the input's gradient down. Peak memory: L layer inputs plus one layer's graph.
     */
    static LossSum checkpointed(Decoder decoder, LmHead head, StepContext s, long[] tokenIds, Targets targets,
                                NDArray lossScale) {
        List<NDArray> inputs = new ArrayList<>(decoder.layerCount());
        NDArray x;
        try (GradMode off = GradMode.disabled()) {
            x = decoder.forward(tokenIds, s, inputs);                                  // [B, T, D]
        }
        x.setRequiresGradient(true);
        LossSum loss = head.lossSum(x, targets, s, lossScale);
        NDArray upstream = x.getGradient();                                            // [B, T, D]
        for (int i = decoder.layerCount() - 1; i >= 0; i--) {
            NDArray inputGradient;
            try (NDScope layerScope = new NDScope()) {
                NDArray input = inputs.get(i).duplicate();                            // a fresh leaf
                input.setRequiresGradient(true);
                NDArray output = decoder.runLayer(i, input, s);
                TensorOps.backward(output, upstream);
                inputGradient = input.getGradient();
                NDScope.unregister(inputGradient);
            }
            NDScope.register(inputGradient);
            upstream.close();
            inputs.get(i).close();
            upstream = inputGradient;
        }
        upstream.close();
        return loss;
    }
}
