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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real trainer process is killed (SIGKILL after a periodic checkpoint; SIGTERM, which writes one at once) and
 * started again: it resumes, ends at the same step count, and its loss curve after the resume is the
 * uninterrupted run's curve (tolerance 1e-4: the same batches, dropout masks, adapter and optimizer state, on the
 * same CPU kernels).
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

    private static ProcessBuilder trainer(Path config) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), "io.kubelora.trainer.cli.Main", "train", "-f",
                config.toString(), "--work-dir", dir.resolve("work-" + config.getFileName()).toString());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve(config.getFileName() + "." + System.nanoTime() + ".log").toFile());
        return pb;
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
            Process reference = trainer(config("reference")).start();
            assertTrue(reference.waitFor(180, TimeUnit.SECONDS), "reference run timed out");
            assertEquals(0, reference.exitValue());
        }
        List<Double> expected = losses(metrics);
        assertEquals(STEPS, expected.size());
        return expected;
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
        Process first = trainer(config).start();
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

        Process second = trainer(config).start();
        assertTrue(second.waitFor(180, TimeUnit.SECONDS), "resumed run timed out");
        assertEquals(0, second.exitValue());
        assertSameCurve(expected, metrics);
    }

    @Test
    void killedRunResumesAndContinuesTheSameCurve() throws Exception {
        List<Double> expected = reference();

        Path config = config("killed");
        Process first = trainer(config).start();
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

        ProcessBuilder resumed = trainer(config);
        Process second = resumed.start();
        assertTrue(second.waitFor(180, TimeUnit.SECONDS), "resumed run timed out");
        assertEquals(0, second.exitValue());
        String log = Files.readString(resumed.redirectOutput().file().toPath());
        assertTrue(log.contains("Resumed from checkpoint step-8"), log);
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
}
