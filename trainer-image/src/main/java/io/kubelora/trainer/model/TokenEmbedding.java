package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The token embedding: a lookup of rows of embed_tokens [V, D]. */
final class TokenEmbedding {

    private final NDArray weight; // [V, D]

    private TokenEmbedding(NDArray weight) {
        this.weight = weight;
    }

    static TokenEmbedding load(ModelConfig config, WeightSource weights, NDManager manager) {
        return new TokenEmbedding(weights.load(WeightNames.EMBED_TOKENS,
                new long[] {config.vocabSize(), config.hiddenSize()}, manager));
    }

    /** Token ids [B*T] -> embeddings [B, T, D]; an id outside the vocabulary is an error. */
    NDArray forward(long[] tokenIds, StepContext s) {
        long vocabSize = weight.getShape().get(0);
        for (long id : tokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        NDArray ids = s.manager.create(tokenIds);                                       // [B*T]
        return weight.get(ids).reshape(s.batchSize, s.seqLen, weight.getShape().get(1)); // [B, T, D]
    }

    /** [V, D], shared with a tied lm_head. */
    NDArray weight() {
        return weight;
    }
}
