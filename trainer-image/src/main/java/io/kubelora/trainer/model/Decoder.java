package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * The token embedding and the decoder layers: the one forward from token ids to the last hidden state, which
 * loss, logits and both ways of backward all run. Dropout masks are a function of (seed, micro-batch, layer),
 * so a layer recomputed for checkpointing, or a run resumed from a checkpoint, draws the same ones.
 */
final class Decoder implements AutoCloseable {

    private final TokenEmbedding embedding;
    private final List<DecoderLayer> layers;
    private final long seed;

    Decoder(TokenEmbedding embedding, List<DecoderLayer> layers, long seed) {
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.seed = seed;
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
            if (s.training) {
                JniUtils.setSeed(dropoutSeed(s.microBatch, i));
            }
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

    /** Same seed for a layer's first pass and its recomputation, so dropout masks match. */
    private long dropoutSeed(long microBatch, int layer) {
        long z = seed * 0x9E3779B97F4A7C15L + microBatch * 0xBF58476D1CE4E5B9L + layer;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    @Override
    public void close() {
        layers.forEach(DecoderLayer::close);
    }
}
