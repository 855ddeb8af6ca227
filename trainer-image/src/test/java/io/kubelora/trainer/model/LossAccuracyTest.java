package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.kubelora.trainer.data.Batch;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation numbers of one batch (loss, next-token accuracy) on batches whose answers are known. */
class LossAccuracyTest {

    private static final long X = Batch.IGNORE;
    // Row 0: 6 tokens, 5 targets (two of them token 0); row 1: 4 tokens padded to 6, 2 targets (one token 0).
    private static final long[] INPUTS = {4, 9, 16, 25, 36, 49, 8, 6, 7, 5, 0, 0};
    private static final long[] TARGETS = {X, 0, 25, 0, 49, 1, X, 7, 0, X, X, X};

    /**
     * A final norm of zeros makes every logit 0: each target costs ln(50) nats, perplexity is 50, and the argmax of
     * equal logits is token 0, so exactly the 3 targets that are token 0 count as predicted.
     */
    @Test
    void aModelThatKnowsNothingCostsLnVocabPerTokenAndPredictsTokenZero(@TempDir Path dir) throws Exception {
        ModelConfig config = TinyModel.config(Architecture.LLAMA, null, false);
        TinyModel blind = TinyModel.write(config, 3, dir.resolve("random"))
                .with(Map.of(WeightNames.FINAL_NORM, new float[config.hiddenSize()]), dir.resolve("blind"));
        try (CausalLm model = CausalLm.load(blind.dir, ModelOptions.on(Device.cpu()).withSeed(1))) {
            LossSum loss = model.loss(new Batch(2, 6, INPUTS, TARGETS));
            assertEquals(7, loss.tokens());
            assertEquals(7 * Math.log(50), loss.sum(), 1e-4);
            assertEquals(Math.log(50), loss.mean(), 1e-5);
            assertEquals(3, loss.correct());
            assertEquals(3.0 / 7, loss.accuracy(), 1e-12);
        }
    }

    /** On a random model, the predicted targets are those where the float64 reference's argmax is the target. */
    @Test
    void accuracyCountsTheTargetsThatAreTheReferencesArgmax(@TempDir Path dir) throws Exception {
        ModelConfig config = TinyModel.config(Architecture.QWEN2, null, true);
        TinyModel tiny = TinyModel.write(config, 9, dir);
        ReferenceForward reference = new ReferenceForward(config, tiny.weights);
        long[] ids = {4, 9, 16, 25, 36, 49, 8, 6, 7, 5};
        double[][] logits = reference.logits(ids);
        long[] targets = new long[ids.length];
        int expectedCorrect = 0;
        for (int p = 0; p < ids.length; p++) {
            int argMax = 0;
            for (int v = 1; v < logits[p].length; v++) {
                argMax = logits[p][v] > logits[p][argMax] ? v : argMax;
            }
            // Every other position asks for the reference's own prediction, the others for a different token.
            targets[p] = p % 2 == 0 ? argMax : (argMax + 1) % config.vocabSize();
            expectedCorrect += p % 2 == 0 ? 1 : 0;
        }
        try (CausalLm model = CausalLm.load(dir, ModelOptions.on(Device.cpu()).withSeed(1))) {
            LossSum loss = model.loss(new Batch(1, ids.length, ids, targets));
            assertEquals(expectedCorrect, loss.correct());
            assertEquals(reference.lossSum(ids, targets), loss.sum(), 1e-3);
        }
    }
}
