package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubelora.api.TrainerEnvironment;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.device.CudaInventory;
import io.kubelora.trainer.train.ColourTask;
import io.kubelora.trainer.train.RunYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `kubelora train` exits with the code of {@link TrainerExitCode} that says why it failed, so that the training
 * Job can fail at once where a retry cannot help.
 */
class ExitCodesTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void modelAndData() throws Exception {
        ColourTask.model(dir, 1);
        Files.write(dir.resolve("good.jsonl"), List.of(
                "{\"instruction\": \"Add 1 and 2.\", \"output\": \"3\"}",
                "{\"instruction\": \"Add 2 and 2.\", \"output\": \"4\"}"));
        Files.write(dir.resolve("broken.jsonl"), List.of(
                "{\"instruction\": \"Add 1 and 2.\", \"output\": \"3\"}",
                "{\"instruction\": \"Add 2 and"));
        Path unsupported = dir.resolve("unsupported-model");
        BundledTokenizer.copyTo("llama3", unsupported);
        Files.writeString(unsupported.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
    }

    @Test
    void invalidSpecExitsWith2() throws Exception {
        assertEquals(2, TrainerExitCode.INVALID_SPEC.code());
        assertEquals(TrainerExitCode.INVALID_SPEC.code(), train("invalid", "model", "good.jsonl", 0));
    }

    @Test
    void malformedDatasetExitsWith3() throws Exception {
        assertEquals(TrainerExitCode.BAD_DATA.code(), train("bad-data", "model", "broken.jsonl", 4));
    }

    @Test
    void unusableModelExitsWith4() throws Exception {
        assertEquals(TrainerExitCode.BAD_MODEL.code(), train("bad-model", "unsupported-model", "good.jsonl", 4));
    }

    @Test
    void aRunThatCannotFitItsGpuExitsWith5() throws Exception {
        assertEquals(TrainerExitCode.WONT_FIT.code(), Main.run("train", "-f", tooBig().toString(), "--gpu-memory",
                "8Gi", "--work-dir", dir.resolve("work").toString()));
    }

    /** The operator gives a pod its profile's gpuMemory in bytes, in the variable the fit check reads. */
    @Test
    void theGpuMemoryOfThePodsProfileIsWhatTheRunMustFit() throws Exception {
        TrainerProcess pod = TrainerProcess.run(dir, Map.of(TrainerEnvironment.GPU_MEMORY, "8589934592"), "train",
                "-f", tooBig().toString(), "--work-dir", dir.resolve("work").toString());
        assertEquals(TrainerExitCode.WONT_FIT.code(), pod.exit(), pod.stderr());
    }

    /** A run of an 8B model (its config.json alone) that no 8 GiB GPU holds. */
    private static Path tooBig() throws Exception {
        Path configOnly = Files.createDirectories(dir.resolve("eight-b"));
        io.kubelora.trainer.model.ModelShapes.config("llama-3.1-8b").write(configOnly);
        return RunYaml.named("too-big").set("baseModel.uri", configOnly).set("dataset.uri",
                dir.resolve("good.jsonl")).set("output.uri", dir.resolve("out-too-big")).set("resources.gpus", 0)
                .write(dir.resolve("big.yaml"));
    }

    @Test
    void outOfGpuMemoryExitsWith7() {
        assertEquals(TrainerExitCode.OUT_OF_GPU_MEMORY, ErrorReporter.exitCode(new RuntimeException("step failed",
                new io.kubelora.trainer.train.OutOfGpuMemoryException("out of GPU memory: CUDA out of memory.",
                        new IllegalStateException()))));
        assertEquals(TrainerExitCode.FAILED, ErrorReporter.exitCode(new io.kubelora.trainer.train
                .OutOfHostMemoryException("out of host memory", new OutOfMemoryError())));
    }

    @Test
    void aMissingInputMayBeFixedByARetry() throws Exception {
        assertEquals(TrainerExitCode.FAILED.code(), train("missing", "model", "no-such-file.jsonl", 4));
    }

    @Test
    void gpusThatCannotBeUsedExitWith6AndAreNotRetried() throws Exception {
        assumeTrue(CudaInventory.probe().gpus().isEmpty(), "this machine has a GPU");
        assertEquals(TrainerExitCode.GPU_UNAVAILABLE.code(), train("no-gpu", "model", "good.jsonl", 4, 1));
        assertEquals(6, TrainerExitCode.GPU_UNAVAILABLE.code());
        assertFalse(TrainerExitCode.GPU_UNAVAILABLE.retryMayHelp(), "the same pod spec meets the same node kind");
        assertTrue(TrainerExitCode.retryCannotHelp().contains(6));
    }

    private static int train(String run, String model, String dataset, int rank) throws Exception {
        return train(run, model, dataset, rank, 0);
    }

    private static int train(String run, String model, String dataset, int rank, int gpus) throws Exception {
        Path config = RunYaml.named(run).set("baseModel.uri", dir.resolve(model))
                .set("dataset.uri", dir.resolve(dataset)).set("dataset.format", "alpaca")
                .set("dataset.maxSeqLength", 32).set("lora.rank", rank).set("training.maxSteps", 1)
                .set("training.batchSize", 2).set("output.uri", dir.resolve("out-" + run)).set("resources.gpus", gpus)
                .write(dir.resolve(run + ".yaml"));
        return Main.run("train", "-f", config.toString(), "--work-dir", dir.resolve("work").toString());
    }
}
