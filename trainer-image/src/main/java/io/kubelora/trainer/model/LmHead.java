package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

/**
 * The output head: final RMSNorm, the vocabulary projection lm_head [V, D] (the embedding itself when tied) and the
 * cross-entropy over target tokens. Only the rows that carry loss are projected, {@code chunkRows} at a time, so
 * logits [N, V] never exist all at once (they dominate activation memory for 128k vocabularies).
 */
final class LmHead {

    private final NDArray finalNorm; // [D]
    private final NDArray weight;    // [V, D]
    private final NDArray eps;       // scalar, owned by the model
    private final boolean tied;
    private final Kernels kernels;
    private final int chunkRows;

    private LmHead(NDArray finalNorm, NDArray weight, NDArray eps, boolean tied, Kernels kernels, int chunkRows) {
        this.finalNorm = finalNorm;
        this.weight = weight;
        this.eps = eps;
        this.tied = tied;
        this.kernels = kernels;
        this.chunkRows = chunkRows;
    }

    /** Reads lm_head (or ties it to {@code embedding}) and the final norm. */
    static LmHead load(ModelConfig config, WeightSource weights, NDManager manager, TokenEmbedding embedding,
                       NDArray eps, Kernels kernels, int chunkRows) {
        long[] shape = {config.vocabSize(), config.hiddenSize()};
        NDArray weight;
        if (config.tieWordEmbeddings()) {
            weight = embedding.weight();
        } else if (weights.contains(WeightNames.LM_HEAD)) {
            weight = weights.load(WeightNames.LM_HEAD, shape, manager);
        } else {
            throw new ModelLoadException(weights.origin() + ": weights have no tensor '" + WeightNames.LM_HEAD
                    + "' and config.json does not set tie_word_embeddings");
        }
        NDArray finalNorm = weights.load(WeightNames.FINAL_NORM, new long[] {config.hiddenSize()}, manager);
        return new LmHead(finalNorm, weight, eps, config.tieWordEmbeddings(), kernels, chunkRows);
    }

    /**
     * Sum over target tokens of -log softmax(logits)[target], and the count of targets that are the argmax of
     * their logits, from the last hidden state x [B, T, D], each chunk in its own scope. With {@code upstream}
     * non-null each chunk's loss is backpropagated right away (scaled by it), so that only one chunk's logits and
     * their graph exist at a time.
     */
    LossSum lossSum(NDArray x, Targets targets, StepContext s, NDArray upstream) {
        NDArray flat = x.reshape((long) s.batchSize * s.seqLen, x.getShape().get(2));  // [B*T, D]
        double sum = 0;
        long correct = 0;
        for (Targets chunk : targets.chunks(chunkRows)) {
            try (NDScope chunkScope = new NDScope()) {
                NDArray positions = s.manager.create(chunk.positions());               // [n]
                NDArray ids = s.manager.create(chunk.ids(), new Shape(chunk.count(), 1)); // [n, 1]
                NDArray rows = flat.get(positions);                                     // [n, D]
                NDArray logProbs = logits(rows).logSoftmax(-1);                         // [n, V]
                NDArray loss = logProbs.gather(ids, 1).sum().neg();                     // []
                sum += loss.getFloat();
                correct += logProbs.argMax(1).eq(ids.squeeze(1)).sum().getLong();       // argmax [n] == ids [n]
                if (upstream != null) {
                    TensorOps.backward(loss, upstream);
                }
            }
        }
        return new LossSum(sum, targets.count(), correct);
    }

    /** Logits [N, V] of last hidden states [N, D]. */
    NDArray logits(NDArray hidden) {
        return kernels.linear(TensorOps.rmsNorm(hidden, finalNorm, eps), weight, null);
    }

    long parameterCount() {
        return finalNorm.size() + (tied ? 0 : weight.size());
    }
}
