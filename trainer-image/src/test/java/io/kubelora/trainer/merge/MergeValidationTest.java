package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.merge.MergeFixtures.Tensor;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters that do not fit the model are refused before anything is written, naming the tensor at fault. */
class MergeValidationTest {

    private static final List<String> MODULES = List.of("q_proj", "up_proj");

    @TempDir
    Path tmp;
    private ModelConfig config;
    private Path model;
    private Path out;

    @BeforeEach
    void writeBase() throws IOException {
        config = MergeFixtures.tinyConfig(Architecture.LLAMA, "bfloat16");
        model = MergeFixtures.writeModel(config, 21, tmp.resolve("base"));
        out = tmp.resolve("results").resolve("merged");
    }

    @Test
    void wrongInputFeaturesOfANamesTheTensor() throws IOException {
        Map<String, Tensor> tensors = valid(8);
        String a = PeftAdapter.loraA(1, "q_proj");
        tensors.put(a, new Tensor(new long[] {8, 32}, new float[8 * 32]));
        assertRefused(8, tensors, "shape mismatch: '" + a + "' has 32 input features");
    }

    @Test
    void wrongOutputFeaturesOfBNamesTheTensor() throws IOException {
        Map<String, Tensor> tensors = valid(8);
        String b = PeftAdapter.loraB(0, "up_proj");
        tensors.put(b, new Tensor(new long[] {100, 8}, new float[100 * 8]));
        assertRefused(8, tensors, "shape mismatch: '" + b + "' has 100 output features");
    }

    @Test
    void missingBIsNamed() throws IOException {
        Map<String, Tensor> tensors = valid(8);
        tensors.remove(PeftAdapter.loraB(1, "up_proj"));
        assertRefused(8, tensors, "'" + PeftAdapter.loraA(1, "up_proj") + "' has no partner '"
                + PeftAdapter.loraB(1, "up_proj") + "'");
    }

    @Test
    void rankDifferentFromConfigIsNamed() throws IOException {
        assertRefused(16, valid(8), "rank mismatch: '" + PeftAdapter.loraA(0, "q_proj") + "' has shape [8, 64] "
                + "(rank 8) but adapter_config.json has r = 16");
    }

    @Test
    void adapterOfADifferentArchitectureIsRefused() throws IOException {
        // A Qwen2-shaped adapter of the same width: its k/v projections are [32, 64] like Llama's tiny preset,
        // but it targets a third layer and a wider MLP that this Llama does not have.
        ModelConfig other = ModelConfig.builder(Architecture.QWEN2).hiddenSize(64).intermediateSize(256)
                .numHiddenLayers(3).numAttentionHeads(4).numKeyValueHeads(2).ropeTheta(1e6).vocabSize(96)
                .tieWordEmbeddings(true).torchDtype("bfloat16").build();
        Map<String, Tensor> tensors = MergeFixtures.randomAdapterTensors(other, 8, MODULES, 5);
        MergeInputException e = assertRefused(8, tensors, "targets '" + WeightNames.weight(2, "q_proj")
                + "', which the base model does not have");
        assertTrue(e.getMessage().contains("shape mismatch: '" + PeftAdapter.loraB(0, "up_proj")
                + "' has 256 output features"), e.getMessage());
    }

    @Test
    void moduleOutsideTargetModulesIsNamed() throws IOException {
        Map<String, Tensor> tensors = valid(8);
        tensors.putAll(MergeFixtures.randomAdapterTensors(config, 8, List.of("k_proj"), 9));
        assertRefused(8, tensors, "adapts 'k_proj', which adapter_config.json target_modules");
    }

    @Test
    void nonLoraTensorIsNamed() throws IOException {
        Map<String, Tensor> tensors = valid(8);
        String dora = PeftAdapter.KEY_PREFIX + "model.layers.0.self_attn.q_proj.lora_magnitude_vector";
        tensors.put(dora, new Tensor(new long[] {64, 1}, new float[64]));
        assertRefused(8, tensors, "adapter tensor '" + dora + "' is not a LoRA A/B matrix");
    }

    private Map<String, Tensor> valid(int rank) {
        return new LinkedHashMap<>(MergeFixtures.randomAdapterTensors(config, rank, MODULES, 3));
    }

    private MergeInputException assertRefused(int configRank, Map<String, Tensor> tensors, String expected)
            throws IOException {
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), configRank, 16, false, MODULES, tensors);
        MergeInputException e = assertThrows(MergeInputException.class,
                () -> ModelMerger.merge(model, adapter, out, MergeOptions.of(DType.BF16, "5GB")));
        assertTrue(e.getMessage().contains(expected), "message should contain [" + expected + "]: " + e.getMessage());
        assertTrue(e.getMessage().contains(adapter.toString()), e.getMessage());
        assertTrue(Files.notExists(out), "nothing may be written on bad input");
        if (Files.exists(out.getParent())) {
            try (Stream<Path> left = Files.list(out.getParent())) {
                assertEquals(List.of(), left.toList(), "no staging folder may be left behind");
            }
        }
        return e;
    }
}
