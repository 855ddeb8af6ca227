package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
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
     * Token ids [B*T] -> last hidden state [B, T, D] (before the final norm). With {@code layerInputs} non-null,
     * each layer's input is kept in it (activation checkpointing keeps only those) and the layer runs on the value
     * kept, so that its recomputation in backward sees exactly the same input.
     */
    NDArray forward(long[] tokenIds, StepContext s, LayerInputs layerInputs) {
        NDArray x = embedding.forward(tokenIds, s);                                    // [B, T, D]
        for (int i = 0; i < layers.size(); i++) {
            if (layerInputs != null) {
                x = layerInputs.keep(x, s);
            }
            DecoderLayer layer = layers.get(i);
            NDArray a = layer.attend(x, s);                                            // [B, T, D]
            if (layerInputs == null || !layerInputs.holds(x)) {
                x.close(); // autograd keeps what backward needs; the handle would keep all of it
            }
            x = layer.feedForward(a, s);                                               // [B, T, D]
            a.close();
        }
        return x;
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
