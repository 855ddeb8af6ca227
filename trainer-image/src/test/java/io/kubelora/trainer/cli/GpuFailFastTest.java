package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.device.CudaInventory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that asks for a GPU on a machine where libtorch can use none stops at once, before fetching its model
 * (an hf:// model that cannot be reached here: fetching it would fail differently and much later), with reason
 * GpuUnavailable on stderr and in the termination message. The time it takes is printed, not asserted.
 */
class GpuFailFastTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void noGpuHere() {
        assumeTrue(CudaInventory.probe().gpus().isEmpty(), "this machine has a GPU");
    }

    private static Path config(String gpus) throws Exception {
        return config(gpus, "hf://meta-llama/Llama-3.2-1B");
    }

    private static Path config(String gpus, String model) throws Exception {
        return Files.writeString(dir.resolve("gpu-" + gpus + "-" + model.hashCode() + ".yaml"), """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: needs-a-gpu
                spec:
                  baseModel:
                    uri: %s
                  dataset:
                    uri: s3://nowhere/data.jsonl
                  output:
                    uri: %s
                  resources:
                    gpus: %s
                """.formatted(model, dir.resolve("out"), gpus));
    }

    @Test
    void aLocalRunAskingForAGpuSaysHowToTrainOnTheCpu() throws Exception {
        Path termination = Files.createFile(dir.resolve("termination-log"));
        TrainerProcess run = TrainerProcess.run(dir, Map.of("KUBELORA_TERMINATION_LOG", termination.toString()),
                "train", "-f", config("1").toString());
        System.out.printf(Locale.ROOT, "a run asking for 1 GPU on a machine without one exited %d after %.1f s%n",
                run.exit(), run.seconds());
        assertEquals(TrainerExitCode.GPU_UNAVAILABLE.code(), run.exit(), run.stderr());
        assertTrue(run.stderr().contains("error: GpuUnavailable: resources.gpus is 1 asks for 1 GPU (cuda:0) but "
                + "libtorch"), run.stderr());
        assertTrue(run.stderr().contains("To train on the CPU instead, set spec.resources.gpus: 0 or pass --device cpu"),
                run.stderr());
        assertTrue(!run.stderr().contains("Fetching"), "nothing was fetched:\n" + run.stderr());
        assertTrue(Files.readString(termination).startsWith("GpuUnavailable: "), Files.readString(termination));
    }

    @Test
    void inAPodTheOperatorsGpuCountDecidesAndTheMessageSaysWhatWasSeen() throws Exception {
        Path termination = Files.createFile(dir.resolve("pod-termination-log"));
        TrainerProcess run = TrainerProcess.run(dir, Map.of("KUBELORA_TERMINATION_LOG", termination.toString(),
                "KUBELORA_POD_GPUS", "2"), "train", "-f", config("2").toString());
        System.out.printf(Locale.ROOT, "a pod with 2 GPUs libtorch cannot use exited %d after %.1f s%n", run.exit(),
                run.seconds());
        assertEquals(TrainerExitCode.GPU_UNAVAILABLE.code(), run.exit(), run.stderr());
        String message = Files.readString(termination);
        assertTrue(message.startsWith("GpuUnavailable: the pod has 2 GPU(s) (KUBELORA_POD_GPUS) asks for 2 GPUs "
                + "(cuda:0 to cuda:1, one replica each) but libtorch "), message);
        assertTrue(message.contains(" sees no usable CUDA device: "), "what libtorch saw, and why: " + message);
    }

    @Test
    void deviceCpuTrainsAGpuSpecOnTheCpu() throws Exception {
        Path missing = dir.resolve("no-model-here");
        TrainerProcess run = TrainerProcess.run(dir, Map.of(), "train", "-f", config("1", missing.toString()).toString(),
                "--device", "cpu");
        assertTrue(run.stderr().startsWith("Device: cpu ("), run.stderr());
        assertTrue(run.stderr().contains(" because --device cpu; compute fp32 (training.precision auto)\n"),
                run.stderr());
        assertTrue(run.stderr().contains("Reading config.json of " + missing), "it went on to the model: " + run.stderr());
        assertNotEquals(0, run.exit(), "and failed there, the model folder being missing");
    }
}
