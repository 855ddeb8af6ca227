package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * The output head: final RMSNorm, the vocabulary projection lm_head [V, D] (the embedding itself when tied), held
 * in the compute precision, and the cross-entropy over target tokens. Only the rows that carry loss are projected,
 * {@code chunkRows} at a time, so logits [N, V] never exist all at once (they dominate activation memory for 128k
 * vocabularies): a chunk's logits, their log-softmax and its gradient are its whole working set.
 */
final class LmHead {

    private final NDArray finalNorm; // [D]
    private final NDArray weight;    // [V, D]
    private final boolean tied;
    private final Kernels kernels;
    private final int chunkRows;

    private LmHead(NDArray finalNorm, NDArray weight, boolean tied, Kernels kernels, int chunkRows) {
        this.finalNorm = finalNorm;
        this.weight = weight;
        this.tied = tied;
        this.kernels = kernels;
        this.chunkRows = chunkRows;
    }

    /** Reads lm_head (or ties it to {@code embedding}, which is then on the device) and the final norm. */
    static LmHead load(ModelConfig config, WeightSource weights, NDManager manager, TokenEmbedding embedding,
                       Kernels kernels, int chunkRows) {
        long[] shape = {config.vocabSize(), config.hiddenSize()};
        NDArray weight;
        if (config.tieWordEmbeddings()) {
            if (embedding.onHost()) {
                throw new IllegalArgumentException("a tied embedding is the head's weight: it stays on the device");
            }
            weight = embedding.weight();
        } else if (weights.contains(WeightNames.LM_HEAD)) {
            weight = HeldWeights.load(weights, WeightNames.LM_HEAD, shape, manager, kernels);
        } else {
            throw new ModelLoadException(weights.origin() + ": weights have no tensor '" + WeightNames.LM_HEAD
                    + "' and config.json does not set tie_word_embeddings");
        }
        NDArray finalNorm = weights.load(WeightNames.FINAL_NORM, new long[] {config.hiddenSize()}, manager);
        return new LmHead(finalNorm, weight, config.tieWordEmbeddings(), kernels, chunkRows);
    }

    /**
     * Sum over target tokens of -log softmax(logits)[target], from the last hidden state x [B, T, D], each
     * chunk in its own scope. With {@code upstream} non-null each chunk's loss is backpropagated right away
     * (scaled by it), so that only one chunk's logits and their graph exist at a time. Without it (an evaluation)
     * the targets that are the argmax of their logits are counted too, from the same logits.
     */
    LossSum lossSum(NDArray x, Targets targets, StepContext s, NDArray upstream) {
        double sum = 0;
        long correct = 0;
        try (NDArray flat = x.reshape(s.tokens(), x.getShape().get(2))) {              // [B*T, D]
            for (Targets chunk : targets.chunks(chunkRows)) {
                try (NDScope chunkScope = new NDScope()) {
                    NDArray positions = s.manager.create(chunk.positions());           // [n]
                    NDArray ids = s.manager.create(chunk.ids());                       // [n]
                    if (upstream == null) {
                        float[] both = kernels.headEvaluation(flat.get(positions), finalNorm, weight, ids)
                                .toFloatArray();                                       // [loss sum, correct]
                        sum += both[0];
                        correct += (long) both[1];
                    } else {
                        NDArray loss = kernels.headLoss(flat.get(positions), finalNorm, weight, ids); // []
                        sum += loss.getFloat();
                        TensorOps.backward(loss, upstream);
                    }
                }
            }
        }
        return new LossSum(sum, targets.count(), correct);
    }

    /** Logits [N, V] of last hidden states [N, D]. */
    NDArray logits(NDArray hidden) {
        return kernels.logits(hidden, finalNorm, weight);
    }

    long parameterCount() {
        return finalNorm.size() + (tied ? 0 : weight.size());
    }

    /** Bytes of the final norm and, untied, the head weight. */
    long bytesHeld() {
        return finalNorm.size() * Float.BYTES + (tied ? 0 : weight.size() * kernels.heldBytesPerElement());
    }

    void close() {
        finalNorm.close();
        if (!tied) {
            weight.close();
        }
    }
}
