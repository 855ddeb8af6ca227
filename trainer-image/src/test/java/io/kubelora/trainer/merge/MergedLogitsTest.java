package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.safetensors.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The merged model computes what the base model plus the adapter computes, for every supported architecture. */
class MergedLogitsTest {

    private static final List<String> MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
            "up_proj", "down_proj");
    private static final long[] TOKENS = {1, 17, 42, 5, 88, 23, 64, 9};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void mergedLogitsEqualBasePlusAdapterLogits(Architecture architecture) throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(architecture, "float32");
        Path model = MergeFixtures.writeModel(config, 31, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 4, 8, false, MODULES,
                MergeFixtures.randomAdapterTensors(config, 4, MODULES, 32));
        MergeResult merged = ModelMerger.merge(model, adapter, tmp.resolve("merged"),
                MergeOptions.of(DType.F32, "5GB"));

        float[][] expected;
        float[][] base;
        try (CausalLm lm = CausalLm.load(model, ModelOptions.on(Device.cpu()))) {
            base = lm.logits(TOKENS);
            LoraAdapters.load(lm, adapter);
            expected = lm.logits(TOKENS);
        }
        float[][] actual;
        try (CausalLm lm = CausalLm.load(merged.modelDir(), ModelOptions.on(Device.cpu()))) {
            actual = lm.logits(TOKENS);
        }
        double adapterEffect = 0;
        for (int t = 0; t < TOKENS.length; t++) {
            for (int v = 0; v < config.vocabSize(); v++) {
                assertEquals(expected[t][v], actual[t][v], 1e-5, architecture + " logits[" + t + "][" + v + "]");
                adapterEffect = Math.max(adapterEffect, Math.abs(expected[t][v] - base[t][v]));
            }
        }
        assertTrue(adapterEffect > 1e-3, "the adapter should change the logits, max change " + adapterEffect);
    }
}
