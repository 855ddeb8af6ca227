package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The token embedding: a lookup of rows of embed_tokens [V, D], held in the compute precision. The table may live
 * in host memory (LoRA never trains it and a step reads only B*T rows of it): the rows are looked up there and
 * only the [B, T, D] result is moved to the device.
 */
final class TokenEmbedding {

    private final NDArray weight; // [V, D], on the device or the host
    private final boolean onHost;
    private final Kernels kernels;

    private TokenEmbedding(NDArray weight, boolean onHost, Kernels kernels) {
        this.weight = weight;
        this.onHost = onHost;
        this.kernels = kernels;
    }

    /** Reads embed_tokens into {@code manager} (the device's, or a host manager when {@code onHost}). */
    static TokenEmbedding load(ModelConfig config, WeightSource weights, NDManager manager, boolean onHost,
                               Kernels kernels) {
        long[] shape = {config.vocabSize(), config.hiddenSize()};
        return new TokenEmbedding(HeldWeights.load(weights, WeightNames.EMBED_TOKENS, shape, manager, kernels), onHost,
                kernels);
    }

    /** Token ids [B*T] -> embeddings [B, T, D] (fp32, on the device); an id outside the vocabulary is an error. */
    NDArray forward(long[] tokenIds, StepContext s) {
        long vocabSize = weight.getShape().get(0);
        for (long id : tokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        try (NDArray ids = weight.getManager().create(tokenIds);                       // [B*T], where the table is
             NDArray rows = kernels.embed(ids, weight, s.onDevice())) {               // [B*T, D]
            return rows.reshape(s.batchSize, s.seqLen, weight.getShape().get(1));      // [B, T, D]
        }
    }

    /** [V, D] in the held precision, shared with a tied lm_head. */
    NDArray weight() {
        return weight;
    }

    boolean onHost() {
        return onHost;
    }

    /** Bytes of the table. */
    long bytesHeld() {
        return weight.size() * kernels.heldBytesPerElement();
    }

    void close() {
        weight.close();
    }
}
