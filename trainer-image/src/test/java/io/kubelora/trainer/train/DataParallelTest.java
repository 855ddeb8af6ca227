package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.parallel.Replica;
import io.kubelora.trainer.parallel.Replicas;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.TensorInfo;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallelism on the CPU: N replicas of batchSize b train exactly as one device with batchSize N x b on the
 * same rows (fp32, with dropout and activation checkpointing on: each step's loss within 1e-5 relative, each adapter
 * tensor within 1e-5 of its L2 norm; an element whose gradient nearly cancels can differ more once AdamW has
 * normalised it, since the sums run in another order),
 * the replicas hold identical LoRA weights after every step, and the loss and token counts cover all replicas; a run
 * resumed on another replica count goes on exactly as the run that wrote the checkpoint. The
 * dataset's 13 rows end the epoch with a micro-batch of one row, so replicas run uneven shares and some none.
 */
class DataParallelTest {

    private static final double RELATIVE = 1e-5;
    private static final double MAX_GRAD_NORM = 0.5;

    @TempDir
    static Path dir;
    private static Path model;
    private static Path data;
    private static TrainingData rows;

    @BeforeAll
    static void modelAndData() throws Exception {
        model = ColourTask.model(dir, 17);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            lines.add("{\"instruction\": \"Count to " + i + ".\", \"output\": \"" + "one two three ".repeat(i % 4 + 1)
                    + i + "\"}");
        }
        data = Files.write(dir.resolve("data.jsonl"), lines);
        LoraFineTuneSpec spec = spec(1, 1);
        try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
            rows = TrainingData.load(data, SpecTranslation.dataOptions(spec.dataset()), tokenizer,
                    spec.training().seed());
        }
    }

    /** What a run produced: the loss and gradient norm of every step, the adapter, and the tokens counted. */
    record Trained(List<Double> losses, List<Double> gradNorms, Map<String, float[]> adapter, long lossTokens,
                   long trainedTokens, int steps) {
    }

    static LoraFineTuneSpec spec(int batchSize, int accumulation) throws Exception {
        return LoraFineTuneYaml.read(yaml(batchSize, accumulation, "out")).getSpec();
    }

    static Path yaml(int batchSize, int accumulation, String output) throws Exception {
        return RunYaml.named("dp").set("baseModel.uri", model).set("dataset.uri", data)
                .set("dataset.maxSeqLength", 48).set("lora.rank", 4).set("lora.dropout", 0.1)
                .set("training.epochs", 1).set("training.batchSize", batchSize)
                .set("training.gradientAccumulationSteps", accumulation).set("training.learningRate", 0.01)
                .set("training.warmupRatio", 0.0).set("training.maxGradNorm", MAX_GRAD_NORM).set("training.precision", "fp32").set("training.logEverySteps", 1)
                .set("training.checkpointEverySteps", 2).set("training.checkpointsToKeep", 5)
                .set("output.uri", dir.resolve(output)).set("resources.gpus", 0)
                .write(dir.resolve(output + "-" + batchSize + "-" + accumulation + ".yaml"));
    }

    static Trained train(int replicas, int batchSize, int accumulation) throws Exception {
        LoraFineTuneSpec spec = spec(batchSize, accumulation);
        List<Double> losses = new ArrayList<>();
        List<Double> gradNorms = new ArrayList<>();
        try (TrainingState state = TrainingState.load(model, spec, Collections.nCopies(replicas, Device.cpu()));
             TextTokenizer tokenizer = TextTokenizer.load(model)) {
            SampleAnswers noPrompts = SampleAnswers.of(state.model(), tokenizer, rows.promptTemplate(), List.of(), 1,
                    "prompts");
            TrainingLoop loop = new TrainingLoop(state.replicas(), rows, spec.training(), batchSize * replicas,
                    report -> {
                        losses.add(report.loss());
                        gradNorms.add(report.gradNorm());
                    }, EvalHistory.withoutEarlyStopping(), noPrompts);
            TrainingLoop.LoopResult result = loop.run(0, state.optimizer(), (done, newBest) -> {
                assertReplicasIdentical(state.replicas(), done);
                return false;
            });
            return new Trained(losses, gradNorms, weights(state.replicas().first()), result.lossTokens(),
                    result.trainedTokens(), result.stepsDone());
        }
    }

    static Map<String, float[]> weights(Replica replica) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (TrainableParameter p : replica.adapters().parameters()) {
            weights.put(p.name(), p.array().toFloatArray());
        }
        return weights;
    }

    static void assertReplicasIdentical(Replicas replicas, int step) {
        Map<String, float[]> first = weights(replicas.first());
        for (Replica other : replicas.all().subList(1, replicas.size())) {
            weights(other).forEach((name, values) ->
                    assertArrayEquals(first.get(name), values, 0f, name + " after step " + step));
        }
    }

    /**
     * Equal loss curves, global gradient norms (before clipping, which some steps needed) and adapters within 1e-5
     * relative, and the same tokens counted: every row of the epoch once.
     */
    static void assertSameTraining(Trained expected, Trained actual) {
        assertEquals(expected.steps(), actual.steps());
        assertEquals(expected.losses().size(), actual.losses().size());
        for (int i = 0; i < expected.losses().size(); i++) {
            double e = expected.losses().get(i);
            assertEquals(e, actual.losses().get(i), RELATIVE * Math.abs(e), "loss of step " + (i + 1));
            double norm = expected.gradNorms().get(i);
            assertEquals(norm, actual.gradNorms().get(i), RELATIVE * norm, "gradient norm of step " + (i + 1));
        }
        assertTrue(expected.gradNorms().stream().anyMatch(norm -> norm > MAX_GRAD_NORM),
                "clipping to the global norm must have mattered: " + expected.gradNorms());
        assertEquals(expected.lossTokens(), actual.lossTokens(), "target tokens of all replicas");
        long epochTokens = rows.train().rows(0, 0, rows.train().size()).inputTokens();
        assertEquals(epochTokens, expected.trainedTokens(), "every row's tokens once, padding not counted");
        assertEquals(epochTokens, actual.trainedTokens(), "the tokens of all replicas");
        assertSameAdapter(expected.adapter(), actual.adapter());
    }

    /** Each adapter tensor within 1e-5 of its L2 norm, and trained (B starts at zero). */
    static void assertSameAdapter(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        boolean trained = false;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] want = e.getValue();
            float[] got = actual.get(e.getKey());
            double norm = 0;
            double difference = 0;
            for (int i = 0; i < want.length; i++) {
                norm += (double) want[i] * want[i];
                difference += ((double) want[i] - got[i]) * ((double) want[i] - got[i]);
            }
            assertTrue(Math.sqrt(difference) <= RELATIVE * Math.sqrt(norm), e.getKey() + ": |difference| "
                    + Math.sqrt(difference) + " against |tensor| " + Math.sqrt(norm));
            trained |= e.getKey().contains("lora_B") && norm > 0;
        }
        assertTrue(trained, "B matrices start at zero: training must have moved them");
    }

    @Test
    void twoReplicasTrainAsOneDeviceWithTheirWholeBatch() throws Exception {
        Trained one = train(1, 4, 1);
        Trained two = train(2, 2, 1);
        assertEquals(4, one.steps(), "13 rows in micro-batches of 4, the last of 1 row (replica 1 idle)");
        assertSameTraining(one, two);
    }

    @Test
    void threeReplicasTrainAsOneDeviceWithTheirWholeBatch() throws Exception {
        Trained one = train(1, 6, 1);
        Trained three = train(3, 2, 1);
        assertEquals(3, one.steps(), "13 rows in micro-batches of 6, the last of 1 row (replicas 1 and 2 idle)");
        assertSameTraining(one, three);
    }

    @Test
    void gradientAccumulationWithReplicasAccumulatesOnEachAndReducesOncePerStep() throws Exception {
        Trained one = train(1, 4, 3);
        Trained two = train(2, 2, 3);
        assertEquals(2, one.steps(), "4 micro-batches of 4 rows (the last of 1), 3 per step");
        assertSameTraining(one, two);
    }

    @Test
    void aRunResumesWithAnotherReplicaCountAndGoesOnAsItBegan() throws Exception {
        Resumable two = fineTune("two", 2, null);
        Path checkpoint = dir.resolve("two/checkpoints/step-2");
        JsonNode state = new ObjectMapper().readTree(checkpoint.resolve(Checkpoints.STATE_FILE).toFile());
        assertEquals(4, state.get("micro_batch_rows").asInt(), "2 replicas of batchSize 2");
        assertEquals(2, state.get("replicas").asInt());
        for (int replicas : new int[] {3, 1}) {
            String name = "resumed-on-" + replicas;
            Resumable resumed = fineTune(name, replicas, checkpoint);
            assertTrue(resumed.log().contains("Resumed from checkpoint step-2"), resumed.log());
            assertTrue(resumed.log().contains("The checkpoint was written by 2 replica(s), this run has " + replicas
                    + ": micro-batches keep their 4 rows"), resumed.log());
            assertEquals(List.of(3, 4), List.copyOf(resumed.losses().keySet()), "the same step count");
            for (int step : resumed.losses().keySet()) {
                double expected = two.losses().get(step);
                assertEquals(expected, resumed.losses().get(step), RELATIVE * expected, "loss of step " + step);
            }
            assertSameAdapter(two.adapter(), resumed.adapter());
        }
    }

    /** What a whole run delivered: the loss of each logged step, the published adapter, the log. */
    record Resumable(Map<Integer, Double> losses, Map<String, float[]> adapter, String log) {
    }

    /** A FineTuneRun of 2 x 2 rows per micro-batch on {@code replicas}, started from {@code checkpoint} if given. */
    static Resumable fineTune(String output, int replicas, Path checkpoint) throws Exception {
        if (checkpoint != null) {
            Path copy = Files.createDirectories(dir.resolve(output).resolve("checkpoints"))
                    .resolve(checkpoint.getFileName());
            try (Stream<Path> files = Files.walk(checkpoint)) {
                for (Path file : files.toList()) {
                    Files.copy(file, copy.resolve(checkpoint.relativize(file).toString()));
                }
            }
        }
        LoraFineTune resource = LoraFineTuneYaml.read(yaml(2, 1, output));
        Map<Integer, Double> losses = new TreeMap<>();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            new FineTuneRun(resource, storage, dir.resolve("work-" + output), new PrintStream(log, true,
                    StandardCharsets.UTF_8), List.of(r -> losses.put(r.step(), r.loss())),
                    DeviceRequest.cpu("the test").withReplicas(replicas, "--replicas " + replicas)).execute();
        }
        Map<String, float[]> adapter = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(output).resolve("adapter")
                .resolve(PeftAdapter.WEIGHTS_FILE))) {
            for (TensorInfo tensor : file.tensors()) {
                adapter.put(tensor.name(), file.readFloats(tensor.name()));
            }
        }
        return new Resumable(losses, adapter, log.toString(StandardCharsets.UTF_8));
    }
}
