package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraSpec;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.model.TrainableParameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One optimizer step of the loop against values computed here: its gradient is the mean over every target token
 * of all its micro-batches (so two micro-batches of 2 give the gradient of one batch of 4, although the records
 * differ in length), and global-norm clipping scales it by maxGradNorm / (norm + 1e-6) with the norm taken over
 * all parameters together. AdamW's first moment after step 1 is (1 - beta1) times the gradient it was given,
 * which makes that gradient visible. Dropout is off, so micro-batches of different shapes see the same model.
 */
class TrainingLoopTest {

    private static final double BETA1 = 0.9;

    @TempDir
    static Path dir;

    private static TrainingData data;

    /** Eight text records of clearly different lengths, tokenised once (every spec here reads them alike). */
    @BeforeAll
    static void records() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            lines.add("{\"text\": \"" + "The ball number " + i + " is red. ".repeat(1 + i % 4) + "\"}");
        }
        Path file = Files.write(dir.resolve("varied.jsonl"), lines);
        LoraFineTuneSpec spec = spec();
        try (TextTokenizer tokenizer = TextTokenizer.load(TinyRuns.fixture().resolve("model"))) {
            data = TrainingData.load(file, null, SpecTranslation.dataOptions(spec.dataset()), tokenizer,
                    spec.training().seed());
        }
    }

    private static LoraFineTuneSpec spec(String... training) {
        LoraFineTuneSpec spec = TinyRuns.spec("loop", dir.resolve("out").toString(), training).getSpec();
        return spec.toBuilder().lora(new LoraSpec(4, 8, 0.0, null, null)).build();
    }

    /** Runs the first optimizer step of {@code spec} and returns AdamW's first moments (parameter by parameter). */
    private static List<float[]> firstMomentsAfterOneStep(LoraFineTuneSpec spec, List<StepReport> reports) {
        try (TrainingState state = TrainingState.load(TinyRuns.fixture().resolve("model"), spec, List.of(Device.cpu()));
             TextTokenizer tokenizer = TextTokenizer.load(TinyRuns.fixture().resolve("model"))) {
            SampleAnswers noPrompts = SampleAnswers.of(state.model(), tokenizer, data.promptTemplate(), List.of(), 1,
                    "no prompts");
            TrainingLoop loop = new TrainingLoop(state.replicas(), data, spec.training(), spec.training().batchSize(),
                    reports::add, SpecTranslation.evalHistory(spec.training(), EvalHistory.State.EMPTY), noPrompts);
            loop.run(0, state.optimizer(), (done, newBest) -> false);
            return state.optimizer().firstMoments().stream().map(NDArray::toFloatArray).toList();
        }
    }

    @Test
    void accumulatedMicroBatchesGiveTheGradientOfTheWholeBatch() {
        List<StepReport> accumulated = new ArrayList<>();
        List<StepReport> whole = new ArrayList<>();
        List<float[]> twoOfTwo = firstMomentsAfterOneStep(spec("maxSteps: 1", "batchSize: 2",
                "gradientAccumulationSteps: 2", "maxGradNorm: 0"), accumulated);
        List<float[]> oneOfFour = firstMomentsAfterOneStep(spec("maxSteps: 1", "batchSize: 4", "maxGradNorm: 0"),
                whole);
        assertEquals(whole.get(0).loss(), accumulated.get(0).loss(), 1e-5, "the mean token loss of the step");
        assertEquals(whole.get(0).gradNorm(), accumulated.get(0).gradNorm(), 1e-5 * whole.get(0).gradNorm());
        assertClose(oneOfFour, twoOfTwo, 1.0, "first moments: 2 x 2 accumulated against 1 x 4");
    }

    @Test
    void clippingScalesTheGradientByMaxNormOverTheGlobalNorm() {
        double maxNorm = 0.01;
        LoraFineTuneSpec spec = spec("maxSteps: 1", "batchSize: 4", "maxGradNorm: " + maxNorm);

        // the step's gradient, computed here: one micro-batch, loss averaged over its target tokens
        List<float[]> gradient = new ArrayList<>();
        try (TrainingState state = TrainingState.load(TinyRuns.fixture().resolve("model"), spec, List.of(Device.cpu()))) {
            Batch batch = data.train().batch(0, 0, 4);
            state.model().forwardBackward(batch, 1f / batch.targetTokens());
            for (TrainableParameter p : state.adapters().parameters()) {
                try (NDArray g = p.array().getGradient()) {
                    gradient.add(g.toFloatArray());
                }
            }
        }
        double sumOfSquares = 0;
        for (float[] g : gradient) {
            for (float v : g) {
                sumOfSquares += (double) v * v;
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        assertTrue(norm > 10 * maxNorm, "the gradient must be clipped: norm " + norm);

        List<StepReport> reports = new ArrayList<>();
        List<float[]> moments = firstMomentsAfterOneStep(spec, reports);
        assertEquals(norm, reports.get(0).gradNorm(), 1e-4 * norm, "the norm over all parameters, before clipping");
        assertClose(gradient, moments, (1 - BETA1) * maxNorm / (norm + 1e-6), "first moments after a clipped step");
    }

    /** {@code actual[i][j]} equals {@code factor * expected[i][j]} for every parameter i and element j. */
    private static void assertClose(List<float[]> expected, List<float[]> actual, double factor, String what) {
        assertEquals(expected.size(), actual.size(), what);
        double largest = 0;
        for (float[] e : expected) {
            for (float v : e) {
                largest = Math.max(largest, Math.abs(factor * v));
            }
        }
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < expected.get(i).length; j++) {
                double want = factor * expected.get(i)[j];
                assertEquals(want, actual.get(i)[j], 1e-4 * largest, what + ", parameter " + i + " element " + j);
            }
        }
    }
}
