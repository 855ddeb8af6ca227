package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The shipped shapes read as real config.json files, and give the published parameter counts. */
class ModelShapesTest {

    private static final List<String> ALL_LINEAR = WeightNames.LINEAR_MODULES;


    @Test
    void everyShapeHasThePublishedParameterCount() {
        Map<String, Long> published = new TreeMap<>(Map.of("llama-3.2-1b", 1_235_814_400L,
                "llama-3.2-3b", 3_212_749_824L, "llama-3.1-8b", 8_030_261_248L, "llama-3-8b", 8_030_261_248L,
                "llama-3.1-70b", 70_553_706_496L, "mistral-7b-v0.3", 7_248_023_552L, "qwen2.5-0.5b", 494_032_768L,
                "qwen2.5-7b", 7_615_616_512L, "smollm2-135m", 134_515_008L));
        assertEquals(published.keySet().stream().toList(), ModelShapes.names());
        published.forEach((name, count) ->
                assertEquals(count, ModelShapes.config(name).parameterCount(), name));
    }

    @Test
    void shapesKeepTheirArchitectureDetails() {
        ModelConfig llama = ModelShapes.config("llama-3.2-1b");
        assertEquals(Architecture.LLAMA, llama.architecture());
        assertEquals(RopeScaling.llama3(32.0, 1.0, 4.0, 8192), llama.ropeScaling());
        assertEquals(true, llama.tieWordEmbeddings());
        ModelConfig qwen = ModelShapes.config("qwen2.5-7b");
        assertEquals(Architecture.QWEN2, qwen.architecture());
        assertEquals(true, qwen.attentionBias());
        assertEquals(1e-6, qwen.rmsNormEps());
        ModelConfig mistral = ModelShapes.config("mistral-7b-v0.3");
        assertEquals(null, mistral.slidingWindow());
        assertEquals(32768, mistral.vocabSize());
        assertEquals(64, ModelShapes.config("smollm2-135m").headDim());
    }

    @Test
    void loraAllLinearRank16() {
        assertEquals(11_272_192L, ModelShapes.config("llama-3.2-1b").loraParameterCount(16, ALL_LINEAR));
        assertEquals(41_943_040L, ModelShapes.config("llama-3.1-8b").loraParameterCount(16, ALL_LINEAR));
        assertEquals(207_093_760L, ModelShapes.config("llama-3.1-70b").loraParameterCount(16, ALL_LINEAR));
    }
}
