package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Forward and backward of one micro-batch, in the two ways a run can choose: through one graph of the decoder,
 * or with activation checkpointing (Chen et al. 2016), which keeps only each decoder layer's input
 * ({@link LayerInputs}) and recomputes the layer, from the top down, once its upstream gradient is known. Either
 * way the graph is cut at the last hidden state, so that the head's loss can be backpropagated chunk by chunk
 * first.
 */
final class Backward {

    private Backward() {
    }

    /** One graph through all layers; returns the summed loss. Requires grad mode on. */
    static LossSum full(Decoder decoder, LmHead head, StepContext s, long[] tokenIds, Targets targets,
                        NDArray lossScale) {
        NDArray x = decoder.forward(tokenIds, s, null);                                // [B, T, D]
        try (x; NDArray top = x.stopGradient()) {                                     // a leaf sharing x's data
            top.setRequiresGradient(true);
            LossSum loss = head.lossSum(top, targets, s, lossScale);
            try (NDArray upstream = top.getGradient()) {                               // [B, T, D]
                TensorOps.backward(x, upstream);
            }
            return loss;
        }
    }

    /**
     * Forward with grad mode off keeping each layer's input; backward of the head to the last hidden state; then
     * per layer from the top, {@link #layerBackward}. Peak memory: the kept inputs plus one layer's half.
     */
    static LossSum checkpointed(Decoder decoder, LmHead head, StepContext s, long[] tokenIds, Targets targets,
                                NDArray lossScale, LayerInputs inputs) {
        NDArray x;
        try (GradMode off = GradMode.disabled()) {
            x = decoder.forward(tokenIds, s, inputs);                                  // [B, T, D]
        }
        LossSum loss;
        NDArray upstream;
        try (x) {
            x.setRequiresGradient(true);
            loss = head.lossSum(x, targets, s, lossScale);
            upstream = x.getGradient();                                                // [B, T, D]
        }
        for (int i = decoder.layerCount() - 1; i >= 0; i--) {
            upstream = layerBackward(decoder, i, inputs, upstream, s);                // closes the one it got
        }
        upstream.close();
        return loss;
    }

    /**
     * The gradient of layer i's input from its output's, in three passes so that only half a layer's graph exists
     * at a time: the attention half recomputed without a graph gives the MLP's input a; the MLP half, chunk by
     * chunk, recomputed with its graph and backpropagated gives a's gradient; the attention half recomputed with
     * its graph and backpropagated gives the input's. Dropout masks repeat the forward pass's: they are a
     * function of the rows, the linear and the token positions a chunk covers alone ({@link RowDropout}). The
     * layer's input is restored for the first pass and again for the third, so it is not held during the second.
     */
    private static NDArray layerBackward(Decoder decoder, int i, LayerInputs inputs, NDArray upstream,
                                         StepContext s) {
        DecoderLayer layer = decoder.layer(i);
        NDArray a;
        try (GradMode off = GradMode.disabled(); NDArray input = inputs.peek(i, s)) {
            a = layer.attend(input, s);                                                // [B, T, D]
        }
        NDArray aGradient;
        try (a; upstream) {
            aGradient = feedForwardBackward(layer, a, upstream, s);                    // [B, T, D]
        }
        try (NDArray input = inputs.restore(i, s); aGradient) {
            input.setRequiresGradient(true);
            try (NDArray recomputed = layer.attend(input, s)) {
                TensorOps.backward(recomputed, aGradient);
            }
            return input.getGradient();                                                // [B, T, D]
        }
    }

    /** The MLP half's backward, chunk of token rows by chunk: the gradient of its input a [B, T, D]. */
    private static NDArray feedForwardBackward(DecoderLayer layer, NDArray a, NDArray upstream, StepContext s) {
        long n = s.tokens();
        long d = a.getShape().get(2);
        NDArray gradient = s.manager.zeros(new Shape(n, d));                          // [N, D]
        try (gradient;
             DecoderLayer.MlpWeights w = layer.mlpWeights(s);
             NDArray rows = a.reshape(n, d);
             NDArray upstreamRows = upstream.reshape(n, d)) {
            for (long from = 0; from < n; from += s.mlpChunkRows) {
                NDIndex range = new NDIndex("{}:{}", from, Math.min(n, from + s.mlpChunkRows));
                try (NDScope chunkScope = new NDScope()) {
                    NDArray leaf = rows.get(range).duplicate();                        // [n', D], a fresh leaf
                    leaf.setRequiresGradient(true);
                    TensorOps.backward(layer.feedForwardRows(leaf, s, w, from), upstreamRows.get(range));
                    gradient.set(range, leaf.getGradient());
                }
            }
            return gradient.reshape(s.batchSize, s.seqLen, d);                        // [B, T, D]
        }
    }
}
