package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubelora.trainer.storage.CompletionManifest;
import io.kubelora.trainer.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run may do with spec.output.uri: it never replaces or deletes what KubeLoRA did not write there, names
 * the field and the file when it refuses, leaves no empty folder when it fails, and knows a finished run.
 */
class RunOutputTest {

    @TempDir
    Path dir;

    private TinyRuns.Outcome run(String output, String... training) {
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            return TinyRuns.run(TinyRuns.spec("run", output, training), storage, dir.resolve("work"));
        }
    }

    private TinyRuns.Outcome runWith(String output, TrainingObserver observer, String... training) {
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            return TinyRuns.run(TinyRuns.spec("run", output, training), storage, dir.resolve("work"), observer);
        }
    }

    private static String refusal(TinyRuns.Outcome outcome) {
        assertNotNull(outcome.failure(), "the run should have been refused:\n" + outcome.log());
        assertTrue(outcome.failure() instanceof IllegalArgumentException, outcome.failure().toString());
        assertTrue(outcome.reports().isEmpty(), "refused before training");
        return outcome.failure().getMessage();
    }

    /** The reported defect: a file of the user's in adapter/ was deleted by a run that then exited 0. */
    @Test
    void aFileOfTheUsersInAdapterStopsTheRunAndStays() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out/adapter"));
        Files.writeString(out.resolve("notes.txt"), "my notes");

        String message = refusal(run("out"));

        assertEquals("spec.output.uri (out): adapter/notes.txt was not written by KubeLoRA, and a finished run "
                + "replaces adapter/ as a whole; move it away or choose another output.uri", message);
        assertEquals("my notes", Files.readString(out.resolve("notes.txt")));
        assertEquals(List.of("adapter"), children(dir.resolve("out")), "nothing was written");
    }

    @Test
    void reportsAndCheckpointsOfSomeoneElseStopTheRun() throws IOException {
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a/summary.json"), "{}");
        assertEquals("spec.output.uri (a): summary.json was not written by KubeLoRA (the folder has no "
                + "_KUBELORA_RUN.json), and a run writes its summary.json here; move it away or choose another "
                + "output.uri", refusal(run("a")));

        Files.createDirectories(dir.resolve("b/checkpoints"));
        Files.writeString(dir.resolve("b/checkpoints/keep.txt"), "x");
        assertTrue(refusal(run("b")).startsWith("spec.output.uri (b): checkpoints/keep.txt is not a KubeLoRA "
                + "checkpoint"));

        Files.createDirectories(dir.resolve("c/checkpoints/step-3"));
        Files.writeString(dir.resolve("c/checkpoints/step-3/w.bin"), "x");
        assertTrue(refusal(run("c")).startsWith("spec.output.uri (c): checkpoints/step-3/w.bin was not written by "
                + "KubeLoRA, and a run deletes old checkpoints"));
        assertTrue(Files.exists(dir.resolve("b/checkpoints/keep.txt")) && Files.exists(
                dir.resolve("c/checkpoints/step-3/w.bin")));
    }

    @Test
    void anOutputThatIsAFileOrBelowOneIsNamed() throws IOException {
        Files.writeString(dir.resolve("taken"), "a file");
        assertEquals("spec.output.uri (taken): " + dir.resolve("taken") + " is a file, not a folder; name a folder "
                + "the trainer can create", refusal(run("taken")));
        assertEquals("spec.output.uri (taken/run): " + dir.resolve("taken") + " is a file, so no folder can be "
                + "created below it; name a folder the trainer can create", refusal(run("taken/run")));
        assertEquals("a file", Files.readString(dir.resolve("taken")));
    }

    /** /proc passes access(2) for root yet refuses every new folder, as a read-only volume does. */
    @Test
    void anOutputTheFileSystemRefusesToCreateIsNamed() {
        assumeTrue(Files.isDirectory(Path.of("/proc")), "a Linux /proc");
        String message = refusal(run("/proc/kubelora-output/run"));
        assertTrue(message.startsWith("spec.output.uri (/proc/kubelora-output/run): /proc/kubelora-output/run cannot "
                + "be created: "), message);
        assertTrue(message.endsWith("; name a folder the trainer can create"), message);
    }

    @Test
    void checkingThatAnOutputCanBeCreatedLeavesNoFolder() throws IOException {
        TinyRuns.Outcome crashed = runWith("new/nested/out", TinyRuns.crashAt(1));
        assertTrue(crashed.failure().getMessage().contains("simulated crash at step 1"), crashed.log());
        assertFalse(Files.exists(dir.resolve("new")), "neither the output folder nor the parents made for it stay");
    }

    /** Unrelated files of the user's in the output folder are fine: the run writes beside them. */
    @Test
    void aRunWritesBesideUnrelatedFilesAndAFailedRunLeavesNoFolder() throws IOException {
        Files.createDirectories(dir.resolve("shared"));
        Files.writeString(dir.resolve("shared/README.md"), "mine");
        TinyRuns.Outcome ok = run("shared", "maxSteps: 2", "checkpointEverySteps: 0");
        ok.ok();
        assertEquals(List.of("README.md", "_KUBELORA_RUN.json", "adapter", "loss.png", "metrics.jsonl",
                "samples.jsonl", "summary.json"), children(dir.resolve("shared")));
        assertEquals("mine", Files.readString(dir.resolve("shared/README.md")));

        TinyRuns.Outcome crashed = runWith("fresh", TinyRuns.crashAt(1));
        assertTrue(crashed.failure().getMessage().contains("simulated crash at step 1"), crashed.log());
        assertFalse(Files.exists(dir.resolve("fresh")), "a failed run removes the output folder it created");

        Files.createDirectories(dir.resolve("made-by-user"));
        runWith("made-by-user", TinyRuns.crashAt(1));
        assertEquals(List.of(), children(dir.resolve("made-by-user")), "what it wrote is gone, the folder stays");

        TinyRuns.Outcome checkpointed = runWith("kept", TinyRuns.crashAt(3));
        assertNotNull(checkpointed.failure());
        assertEquals(List.of("_KUBELORA_RUN.json", "checkpoints", "metrics.jsonl", "samples.jsonl"),
                children(dir.resolve("kept")),
                "a failed run that wrote a checkpoint keeps what a restart resumes from");
    }

    @Test
    void aFinishedRunIsRecognisedAndTrainedAgainOnlyWithResumeNever() throws IOException {
        FineTuneRun.Result first = run("done", "maxSteps: 3").ok();
        Path out = dir.resolve("done");
        String summary = Files.readString(out.resolve("summary.json"));
        String metrics = Files.readString(out.resolve("metrics.jsonl"));
        String adapterManifest = Files.readString(out.resolve("adapter").resolve(CompletionManifest.COMPLETE));

        TinyRuns.Outcome again = run("done", "maxSteps: 3");
        FineTuneRun.Result second = again.ok();
        assertTrue(again.log().contains("LoraFineTune run already finished at "), again.log());
        assertTrue(again.log().contains("Nothing to do; set training.resume: never to train it again."), again.log());
        assertEquals(List.of(), again.reports(), "nothing was trained again");
        assertEquals(first.adapterUri(), second.adapterUri());
        assertEquals(first.summary(), second.summary(), "the finished run's summary, read back");
        assertEquals(summary, Files.readString(out.resolve("summary.json")));
        assertEquals(metrics, Files.readString(out.resolve("metrics.jsonl")));
        assertEquals(adapterManifest, Files.readString(out.resolve("adapter").resolve(CompletionManifest.COMPLETE)));

        TinyRuns.Outcome another = run("done", "maxSteps: 3", "learningRate: 0.01");
        assertTrue(refusal(another).startsWith("spec.output.uri (done): it holds the finished run 'run' of another "
                + "configuration ("), another.failure().getMessage());

        TinyRuns.Outcome restarted = run("done", "maxSteps: 3", "resume: never");
        assertEquals(3, restarted.ok().summary().steps());
        assertEquals(3, restarted.reports().size(), "trained from step 0 again");
        assertFalse(restarted.log().contains("Resumed"), restarted.log());
    }

    private static List<String> children(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
