package io.kubelora.trainer.train;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Short in-process training runs for tests of what a run does with its output: the colour task's tiny Llama and
 * data, written once per test JVM, a LoraFineTune of a few steps, and a record of what the run logged, reported
 * and returned (or threw).
 */
final class TinyRuns {

    private static Path fixture;

    private TinyRuns() {
    }

    /** What one run did. */
    record Outcome(FineTuneRun.Result result, RuntimeException failure, String log, List<StepReport> reports,
                   List<RunStart> starts) {

        /** The result; fails the test with the run's log when the run failed. */
        FineTuneRun.Result ok() {
            if (failure != null) {
                throw new AssertionError("the run failed: " + failure.getMessage() + "\n" + log, failure);
            }
            return result;
        }
    }

    /** The folder holding model/ and data.jsonl, written on first use. */
    static synchronized Path fixture() {
        if (fixture == null) {
            try {
                Path dir = Files.createTempDirectory("kubelora-tiny-runs");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                ColourTask.model(dir, 5);
                ColourTask.data(dir);
                fixture = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fixture;
    }

    /**
     * The LoraFineTune {@code name} writing to {@code outputUri}, on the CPU: 4 steps of batch 4, a checkpoint every
     * 2 steps, metrics every step; {@code training} lines ("key: value") replace or add to those of spec.training.
     */
    static LoraFineTune spec(String name, String outputUri, String... training) {
        RunYaml yaml = RunYaml.named(name).set("baseModel.uri", fixture().resolve("model"))
                .set("dataset.uri", fixture().resolve("data.jsonl")).set("dataset.maxSeqLength", 32)
                .set("lora.rank", 4).set("lora.dropout", 0.1).set("output.uri", outputUri).set("resources.gpus", 0);
        List<String> lines = new ArrayList<>(List.of("batchSize: 4", "learningRate: 0.003", "logEverySteps: 1",
                "checkpointsToKeep: 3", "maxSteps: 4", "checkpointEverySteps: 2"));
        lines.addAll(List.of(training));
        for (String line : lines) {
            int colon = line.indexOf(':');
            yaml.set("training." + line.substring(0, colon), scalar(line.substring(colon + 1).strip()));
        }
        try {
            return LoraFineTuneYaml.parse(yaml.text(), name + ".yaml");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML scalar as RunYaml sets it: an integer, a decimal or a word. */
    private static Object scalar(String text) {
        if (text.matches("-?\\d+")) {
            return Integer.valueOf(text);
        }
        return text.matches("-?\\d*\\.\\d+([eE]-?\\d+)?") ? Double.valueOf(text) : text;
    }

    /** Runs {@code resource} with {@code storage}, staging under {@code work}; extra observers see every report. */
    static Outcome run(LoraFineTune resource, Storage storage, Path work, TrainingObserver... extra) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<StepReport> reports = new ArrayList<>();
        List<RunStart> starts = new ArrayList<>();
        List<TrainingObserver> observers = new ArrayList<>();
        observers.add(new TrainingObserver() {
            @Override
            public void onStart(RunStart start) {
                starts.add(start);
            }

            @Override
            public void onReport(StepReport report) {
                reports.add(report);
            }
        });
        observers.addAll(List.of(extra));
        try (PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            FineTuneRun.Result result = new FineTuneRun(resource, storage, work, out, observers).execute();
            return new Outcome(result, null, log.toString(StandardCharsets.UTF_8), reports, starts);
        } catch (RuntimeException e) {
            return new Outcome(null, e, log.toString(StandardCharsets.UTF_8), reports, starts);
        } catch (IOException e) {
            return new Outcome(null, new UncheckedIOException(e), log.toString(StandardCharsets.UTF_8), reports,
                    starts);
        }
    }

    /** An observer that fails the run when step {@code step} is reported, as a crash would (before its checkpoint). */
    static TrainingObserver crashAt(int step) {
        return report -> {
            if (report.step() == step) {
                throw new IllegalStateException("simulated crash at step " + step);
            }
        };
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
