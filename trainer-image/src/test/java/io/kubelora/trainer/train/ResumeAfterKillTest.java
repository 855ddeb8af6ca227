package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.LibraryChatter;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real trainer process is killed (SIGKILL after a periodic checkpoint; SIGTERM, which writes one at once) and
 * started again: it resumes from the checkpoint's step (it says so, trains only the steps after it and keeps the
 * first process's metrics before it), ends at the same step count, and its loss curve is the uninterrupted run's
 * curve (tolerance 1e-4: the same batches, dropout masks, adapter and optimizer state, on the same CPU kernels).
 * A restart from step 0 would give the same curve, which is why the rest is checked too.
 */
class ResumeAfterKillTest {

    private static final int STEPS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    @BeforeAll
    static void modelAndData() throws Exception {
        Path model = dir.resolve("model");
        BundledTokenizer.copyTo("llama3", model);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), 3, model);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            lines.add("{\"instruction\": \"Add " + i + " and " + (i % 7) + ".\", \"output\": \"" + (i + i % 7) + "\"}");
        }
        Files.write(dir.resolve("data.jsonl"), lines);
    }

    private static Path config(String run) throws Exception {
        return config(run, 4);
    }

    private static Path config(String run, int checkpointEvery) throws Exception {
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: %s
                spec:
                  baseModel:
                    uri: %s
                  dataset:
                    uri: %s
                    maxSeqLength: 64
                  lora:
                    rank: 4
                    dropout: 0.1
                  training:
                    maxSteps: %d
                    batchSize: 4
                    learningRate: 0.002
                    warmupRatio: 0.1
                    logEverySteps: 1
                    checkpointEverySteps: %d
                    checkpointsToKeep: 2
                  output:
                    uri: %s
                  resources:
                    gpus: 0
                """.formatted(run, dir.resolve("model"), dir.resolve("data.jsonl"), STEPS, checkpointEvery,
                dir.resolve(run));
        return Files.writeString(dir.resolve(run + ".yaml"), yaml);
    }

    /** A trainer process for {@code config}, its output going to {@code log}. */
    private static ProcessBuilder trainer(Path config, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), "io.kubelora.trainer.cli.Main", "train", "-f",
                config.toString(), "--work-dir", dir.resolve("work-" + config.getFileName()).toString());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return pb;
    }

    private static Path log(String name) {
        return dir.resolve(name + "." + System.nanoTime() + ".log");
    }

    private static List<Double> losses(Path metrics) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode n = JSON.readTree(line);
            assertEquals(losses.size() + 1, n.get("step").asInt(), "metrics.jsonl steps in order: " + line);
            losses.add(n.get("loss").asDouble());
        }
        return losses;
    }

    /** The losses of an uninterrupted run, computed once for both tests. */
    private static synchronized List<Double> reference() throws Exception {
        Path metrics = dir.resolve("reference/metrics.jsonl");
        if (!Files.exists(metrics)) {
            Process reference = trainer(config("reference"), log("reference")).start();
            assertTrue(reference.waitFor(180, TimeUnit.SECONDS), "reference run timed out");
            assertEquals(0, reference.exitValue());
        }
        List<Double> expected = losses(metrics);
        assertEquals(STEPS, expected.size());
        return expected;
    }

    /**
     * The second process resumed from checkpoint step-{@code step}: it says so, it trained steps step+1 to the end
     * and no earlier one, the metrics it kept of steps 1 to {@code step} are the first process's lines exactly
     * (their tokens_per_second was measured by that process), and the summary counts both processes' work once.
     */
    private static void assertResumedFrom(int step, Path secondLog, List<String> firstProcessLines, String run)
            throws Exception {
        String log = Files.readString(secondLog);
        assertTrue(log.contains("Resumed from checkpoint step-" + step + " of "), log);
        List<Integer> trained = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^step (\\d+)/" + STEPS + " ").matcher(log);
        while (m.find()) {
            trained.add(Integer.parseInt(m.group(1)));
        }
        assertEquals(IntStream.rangeClosed(step + 1, STEPS).boxed().toList(), trained, "steps the second process ran");
        List<String> kept = Files.readAllLines(dir.resolve(run + "/metrics.jsonl"));
        assertEquals(firstProcessLines.subList(0, step), kept.subList(0, step),
                "metrics.jsonl keeps the first process's lines up to the checkpoint");
        JsonNode summary = JSON.readTree(dir.resolve(run + "/summary.json").toFile());
        JsonNode reference = JSON.readTree(dir.resolve("reference/summary.json").toFile());
        assertEquals(STEPS, summary.get("steps").asInt());
        assertEquals(2, summary.get("processes").asInt());
        assertEquals(reference.get("trained_tokens").asLong(), summary.get("trained_tokens").asLong(),
                "tokens of the whole run, each step counted once");
    }

    private static void assertSameCurve(List<Double> expected, Path metrics) throws Exception {
        List<Double> resumed = losses(metrics);
        assertEquals(STEPS, resumed.size(), "resumed run ends at the same step count");
        for (int i = 0; i < STEPS; i++) {
            assertEquals(expected.get(i), resumed.get(i), 1e-4, "loss at step " + (i + 1));
        }
    }

    @Test
    void sigtermWritesACheckpointAtOnceAndTheRestartFinishesTheCurve() throws Exception {
        List<Double> expected = reference();
        Path config = config("terminated", 0); // no periodic checkpoints: only the one SIGTERM writes
        Process first = trainer(config, log("terminated-first")).start();
        Path metrics = dir.resolve("terminated/metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (first.isAlive() && System.nanoTime() < deadline
                && (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 3)) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertTrue(first.isAlive(), "the first run ended before it could be stopped");
        first.destroy(); // SIGTERM, as the kubelet sends it
        assertTrue(first.waitFor(60, TimeUnit.SECONDS), "SIGTERM did not stop the trainer");
        assertNotEquals(0, first.exitValue());
        File[] written = dir.resolve("terminated/checkpoints").toFile().listFiles(f -> f.getName().startsWith("step-"));
        assertTrue(written != null && written.length == 1, "exactly the SIGTERM checkpoint was written");
        int step = Integer.parseInt(written[0].getName().substring("step-".length()));
        assertTrue(step >= 3 && step < STEPS, "checkpoint at step " + step);
        assertTrue(Files.exists(written[0].toPath().resolve("trainer_state.json")));
        List<String> firstLines = Files.readAllLines(metrics);

        Path secondLog = log("terminated-second");
        Process second = trainer(config, secondLog).start();
        assertTrue(second.waitFor(180, TimeUnit.SECONDS), "resumed run timed out");
        assertEquals(0, second.exitValue());
        assertSameCurve(expected, metrics);
        assertResumedFrom(step, secondLog, firstLines, "terminated");
    }

    @Test
    void killedRunResumesAndContinuesTheSameCurve() throws Exception {
        List<Double> expected = reference();

        Path config = config("killed");
        Process first = trainer(config, log("killed-first")).start();
        Path checkpoint = dir.resolve("killed/checkpoints/step-8");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!Files.exists(checkpoint.resolve("trainer_state.json")) && first.isAlive()
                && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertTrue(first.isAlive(), "the first run ended before it could be killed");
        first.destroyForcibly(); // SIGKILL: no shutdown hook, no last checkpoint
        first.waitFor();
        assertNotEquals(0, first.exitValue());
        assertTrue(Files.notExists(dir.resolve("killed/adapter")), "a killed run delivered no adapter");
        int newest = newestCheckpoint(dir.resolve("killed/checkpoints"));
        List<String> firstLines = Files.readAllLines(dir.resolve("killed/metrics.jsonl"));

        Path secondLog = log("killed-second");
        Process second = trainer(config, secondLog).start();
        assertTrue(second.waitFor(180, TimeUnit.SECONDS), "resumed run timed out");
        assertEquals(0, second.exitValue());
        assertResumedFrom(newest, secondLog, firstLines, "killed");
        String log = Files.readString(secondLog);
        assertEquals(List.of(), LibraryChatter.in(log), "restoring a checkpoint keeps the libraries quiet:\n" + log);

        assertSameCurve(expected, dir.resolve("killed/metrics.jsonl"));
        JsonNode summary = JSON.readTree(dir.resolve("killed/summary.json").toFile());
        assertEquals(STEPS, summary.get("steps").asInt());
        assertTrue(Files.exists(dir.resolve("killed/adapter/adapter_model.safetensors")));
        assertTrue(Files.exists(dir.resolve("killed/adapter/adapter_config.json")));
        assertTrue(Files.exists(dir.resolve("killed/loss.png")));
        File[] kept = dir.resolve("killed/checkpoints").toFile().listFiles(f -> f.getName().startsWith("step-"));
        assertTrue(kept != null && kept.length <= 2, "at most checkpointsToKeep checkpoints are kept");
    }

    /** The step of the newest complete checkpoint in {@code folder}. */
    private static int newestCheckpoint(Path folder) {
        File[] steps = folder.toFile().listFiles(f -> f.getName().startsWith("step-")
                && new File(f, "trainer_state.json").exists());
        assertTrue(steps != null && steps.length > 0, "no checkpoint in " + folder);
        int newest = 0;
        for (File f : steps) {
            newest = Math.max(newest, Integer.parseInt(f.getName().substring("step-".length())));
        }
        return newest;
    }
}
