package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.TrainerResult;
import io.kubelora.trainer.lora.AdapterNotes;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.TensorInfo;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early stopping and the best adapter in one run whose evaluation loss falls, then rises: the validation file asks
 * the training prompts for other answers ("hot: warm" while training teaches "hot: cold"), so once the model has
 * learnt the format it only gets worse on it. Training stops after two evaluations without improvement, the run
 * succeeds naming why, and adapter/ and the merged model hold the weights of the best evaluation, whose checkpoint
 * outlived a later one until the end.
 */
class BestAdapterTest {

    private static final long[] TOKENS = {128000, 15339, 25, 9439, 25, 1203, 25};

    @Test
    void earlyStoppingEndsTheRunAndTheBestEvaluationsAdapterIsDeliveredAndMerged(@TempDir Path dir)
            throws Exception {
        Path model = ColourTask.model(dir, 5);
        Path data = OppositesTask.data(dir, 8);
        Path wrong = Files.write(dir.resolve("wrong.jsonl"), List.of("{\"text\": \"hot: warm\"}",
                "{\"text\": \"big: large\"}", "{\"text\": \"up: high\"}", "{\"text\": \"day: noon\"}",
                "{\"text\": \"yes: sure\"}", "{\"text\": \"fast: quick\"}", "{\"text\": \"left: gone\"}",
                "{\"text\": \"open: wide\"}"));
        Path out = dir.resolve("out");
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: best
                spec:
                  baseModel: {uri: %s}
                  dataset: {uri: %s, validationUri: %s, format: text}
                  lora: {rank: 16, alpha: 32, dropout: 0.0}
                  training:
                    maxSteps: 40
                    batchSize: 8
                    learningRate: 0.005
                    lrScheduler: constant
                    warmupRatio: 0.0
                    logEverySteps: 5
                    evalEverySteps: 5
                    checkpointEverySteps: 25
                    checkpointsToKeep: 1
                    earlyStopping: {patience: 2}
                    precision: fp32
                  evaluation: {prompts: ['hot:'], maxNewTokens: 2}
                  output: {uri: %s}
                  merge: {enabled: true, dtype: fp32, output: {uri: %s}}
                  resources: {gpus: 0}
                """.formatted(model, data, wrong, out, dir.resolve("merged"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path seen = dir.resolve("seen");
        TrainingObserver keepCheckpoints = report -> copyCheckpoints(out.resolve("checkpoints"), seen);
        FineTuneRun.Result result;
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            result = new FineTuneRun(LoraFineTuneYaml.parse(yaml, "best.yaml"), storage, dir.resolve("work"),
                    new PrintStream(log, true, StandardCharsets.UTF_8), List.of(keepCheckpoints)).execute();
        }
        String logText = log.toString(StandardCharsets.UTF_8);
        RunSummary summary = result.summary();
        int best = summary.bestStep();
        assertTrue(summary.steps() < 40, "early stopping ended the run: " + summary.steps() + "\n" + logText);
        assertTrue(best < summary.steps(), "the eval loss rose after step " + best + ": " + logText);
        assertEquals(best, summary.adapterStep());
        assertTrue(summary.stoppedEarly().startsWith("eval loss did not improve by more than 0.0 for 2 evaluations "
                + "(best "), summary.stoppedEarly());
        assertTrue(logText.contains("Stopped early after step " + summary.steps() + "/40: eval loss did not improve"),
                logText);
        assertTrue(logText.contains("Delivering the adapter of step " + best), logText);
        TrainerResult status = result.trainerResult();
        assertTrue(status.describe().contains("(the best evaluation, step " + best + " of " + summary.steps() + ")")
                && status.describe().contains("stopped early: eval loss did not improve"), status.describe());
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"stopped_early\" : \"eval loss"));
        assertEvaluationsAgree(out);

        Path bestCheckpoint = seen.resolve("step-" + best);
        Path later = seen.resolve("step-25");
        assertTrue(Files.isDirectory(later) && best < 25, "a checkpoint after the best one was written: " + best);
        Map<String, float[]> delivered = tensors(out.resolve("adapter"));
        assertEquals(tensors(bestCheckpoint.resolve("adapter")).keySet(), delivered.keySet());
        tensors(bestCheckpoint.resolve("adapter")).forEach((name, values) ->
                assertArrayEquals(values, delivered.get(name), name + " is the best evaluation's"));
        Map<String, float[]> last = tensors(later.resolve("adapter"));
        assertTrue(delivered.keySet().stream().anyMatch(n -> !Arrays.equals(last.get(n), delivered.get(n))),
                "the later weights differ");
        try (Stream<Path> left = Files.list(out.resolve("checkpoints"))) {
            assertEquals(List.of("step-25"), left.map(p -> p.getFileName().toString()).toList(),
                    "the best checkpoint is kept until the end only");
        }
        AdapterNotes notes = AdapterNotes.read(out.resolve("adapter")).orElseThrow();
        assertEquals(best, notes.step());
        assertEquals("none", notes.promptTemplate());
        assertEquals(summary.bestEvalLoss(), notes.evalLoss());

        float[][] merged = logits(dir.resolve("merged"), null);
        assertClose(logits(model, out.resolve("adapter")), merged, 1e-4, "merged = base + the delivered adapter");
        assertTrue(largestDifference(logits(model, later.resolve("adapter")), merged) > 1e-3,
                "the merged model is not that of the later weights");
    }

    /**
     * summary.json's evaluation figures are those of metrics.jsonl: the last evaluation's loss, perplexity (its
     * exp) and accuracy, and the lowest evaluation loss with its step.
     */
    private static void assertEvaluationsAgree(Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> evaluations = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode report = json.readTree(line);
            if (report.has("eval_loss")) {
                evaluations.add(report);
            }
        }
        JsonNode summary = json.readTree(out.resolve("summary.json").toFile());
        JsonNode last = evaluations.get(evaluations.size() - 1);
        JsonNode lowest = evaluations.stream().min(Comparator.comparingDouble(e -> e.get("eval_loss").asDouble()))
                .orElseThrow();
        assertEquals(last.get("eval_loss").asDouble(), summary.get("final_eval_loss").asDouble(), 1e-6);
        assertEquals(Math.exp(summary.get("final_eval_loss").asDouble()),
                summary.get("final_eval_perplexity").asDouble(), 1e-9);
        assertEquals(last.get("eval_accuracy").asDouble(), summary.get("final_eval_accuracy").asDouble(), 1e-6);
        assertTrue(summary.get("final_eval_accuracy").asDouble() > 0, "some next tokens are predicted");
        assertEquals(lowest.get("step").asInt(), summary.get("best_step").asInt());
        assertEquals(lowest.get("eval_loss").asDouble(), summary.get("best_eval_loss").asDouble(), 1e-6);
        assertEquals(lowest.get("step").asInt(), last.get("best_step").asInt(), "metrics.jsonl names the best too");
    }

    /** Copies every checkpoint folder present now (they never change once written) into {@code into}. */
    private static void copyCheckpoints(Path checkpoints, Path into) {
        if (!Files.isDirectory(checkpoints)) {
            return;
        }
        try (Stream<Path> folders = Files.list(checkpoints)) {
            for (Path folder : folders.toList()) {
                Path copy = into.resolve(folder.getFileName());
                if (!Files.exists(copy)) {
                    copyTree(folder, copy);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    private static Map<String, float[]> tensors(Path adapterDir) throws IOException {
        Map<String, float[]> tensors = new TreeMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(adapterDir.resolve(PeftAdapter.WEIGHTS_FILE))) {
            for (TensorInfo tensor : file.tensors()) {
                tensors.put(tensor.name(), file.readFloats(tensor.name()));
            }
        }
        return tensors;
    }

    private static float[][] logits(Path modelDir, Path adapter) {
        try (CausalLm lm = CausalLm.load(modelDir, ModelOptions.on(Device.cpu()))) {
            if (adapter != null) {
                LoraAdapters.load(lm, adapter);
            }
            return lm.logits(TOKENS);
        }
    }

    private static double largestDifference(float[][] a, float[][] b) {
        double largest = 0;
        for (int t = 0; t < a.length; t++) {
            for (int v = 0; v < a[t].length; v++) {
                largest = Math.max(largest, Math.abs(a[t][v] - b[t][v]));
            }
        }
        return largest;
    }

    private static void assertClose(float[][] expected, float[][] actual, double tolerance, String what) {
        assertTrue(largestDifference(expected, actual) <= tolerance, what + ": largest difference "
                + largestDifference(expected, actual));
    }
}
