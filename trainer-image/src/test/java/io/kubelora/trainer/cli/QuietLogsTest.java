package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.LibraryChatter;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands say which device they use and why in one line, and the libraries keep quiet: no DJL INFO lines, no
 * "CUDA driver version is insufficient" warnings from DJL's GPU count, no libtorch deprecation warning when an
 * adapter is loaded (which DJL's NDArray.set(Buffer) used to trigger).
 */
class QuietLogsTest {

    @TempDir
    static Path dir;

    @Test
    void generateWithAnAdapterPrintsOneDeviceLineAndNoLibraryChatter() throws Exception {
        Path model = dir.resolve("model");
        BundledTokenizer.copyTo("llama3", model);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), 5, model);
        Path adapter = dir.resolve("adapter");
        try (CausalLm lm = CausalLm.load(model, ModelOptions.on(Device.cpu()))) {
            LoraAdapters.attach(lm, new PeftAdapterConfig(null, 4, 8, 0.0, List.of("q_proj", "v_proj"), false), 5)
                    .save(adapter, model.toString());
        }
        TrainerProcess run = TrainerProcess.run(dir, Map.of(), "generate", "--model", model.toString(), "--adapter",
                adapter.toString(), "--prompt", "Hello", "--max-new-tokens", "2");
        assertEquals(0, run.exit(), run.stderr());
        assertEquals(List.of(), LibraryChatter.in(run.stderr()), run.stderr());
        List<String> deviceLines = run.stderr().lines().filter(l -> l.startsWith("Device: ")).toList();
        assertEquals(1, deviceLines.size(), run.stderr());
        assertTrue(deviceLines.get(0).matches("Device: cpu \\(.+, \\d+ cores\\) because --device cpu \\(the default\\); "
                + "compute fp32"), deviceLines.get(0));
        assertTrue(run.stdout().startsWith("Hello"), run.stdout());
    }

    @Test
    void theChatterDetectorKnowsTheLinesItMustCatch() {
        String output = String.join("\n",
                "[main] WARN ai.djl.util.cuda.CudaUtils - Failed to detect GPU count: CUDA driver version is "
                        + "insufficient for CUDA runtime version (35)",
                "INFO ai.djl.pytorch.engine.PtEngine - Number of inter-op threads is 1",
                "[W1129 20:19:28.613755859 LegacyTypeDispatch.h:74] Warning: AutoNonVariableTypeMode is deprecated",
                "WARN io.kubelora.trainer.model.CausalLm - bf16 compute on a CPU without bf16 instructions",
                "Device: cpu (AMD EPYC, 2 cores) because --device cpu; compute fp32");
        assertEquals(3, LibraryChatter.in(output).size(), "the trainer's own lines are not chatter");
    }
}
