package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.List;

/**
 * The token embedding and the decoder layers: the one forward from token ids to the last hidden state, which
 * loss, logits and both ways of backward all run. Dropout masks are a function of the step's rows
 * ({@link RowDropout}), so a layer recomputed for checkpointing, or a run resumed from a checkpoint, draws the same
 * ones.
 */
final class Decoder implements AutoCloseable {

    private final TokenEmbedding embedding;
    private final List<DecoderLayer> layers;

    Decoder(TokenEmbedding embedding, List<DecoderLayer> layers) {
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
    }

    /**
     * Token ids [B*T] -> last hidden state [B, T, D] (before the final norm). With {@code layerInputs}
     * non-null, each layer's input is appended to it (activation checkpointing keeps only those).
     */
    NDArray forward(long[] tokenIds, StepContext s, List<NDArray> layerInputs) {
        NDArray x = embedding.forward(tokenIds, s);                                    // [B, T, D]
        for (int i = 0; i < layers.size(); i++) {
            if (layerInputs != null) {
                layerInputs.add(x);
            }
            x = runLayer(i, x, s);
        }
        return x;
    }

    /** Runs layer {@code i} in its own scope so its temporaries are freed as soon as it is done. */
    NDArray runLayer(int i, NDArray x, StepContext s) {
        NDArray y;
        try (NDScope layerScope = new NDScope()) {
            y = layers.get(i).forward(x, s);
            NDScope.unregister(y);
        }
        NDScope.register(y);
        return y;
    }

    int layerCount() {
        return layers.size();
    }

    DecoderLayer layer(int i) {
        return layers.get(i);
    }

    @Override
    public void close() {
        layers.forEach(DecoderLayer::close);
    }
}
