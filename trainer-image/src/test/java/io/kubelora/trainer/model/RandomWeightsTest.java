package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Models of real shapes with random weights made where they are used, no files. */
class RandomWeightsTest {

    private static final ModelOptions CPU = ModelOptions.on(Device.cpu());

    @Test
    void randomModelHoldsEveryTensorOfTheShapeInitialisedLikeTheInitializer() {
        ModelConfig config = TinyModel.config(Architecture.QWEN2, null, false);
        try (CausalLm model = CausalLm.random(config, CPU)) {
            assertEquals(config.parameterCount(), model.parameterCount());
            assertEquals(4L * config.parameterCount(), model.baseWeightBytes());
            float[][] logits = model.logits(new long[] {1, 2, 3});
            assertEquals(config.vocabSize(), logits[0].length);
            assertTrue(Float.isFinite(logits[2][config.vocabSize() - 1]));
        }
        RandomWeights weights = new RandomWeights(config);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray norm = weights.load(WeightNames.FINAL_NORM, new long[] {config.hiddenSize()}, manager);
            assertEquals(config.hiddenSize(), norm.sum().getFloat(), 0f);
            NDArray bias = weights.load(WeightNames.bias(0, "q_proj"), config.linearShape("q_proj"), manager);
            assertEquals(0f, bias.abs().sum().getFloat(), 0f);
            float[] q = weights.loadFloats(WeightNames.weight(0, "q_proj"), config.linearShape("q_proj"));
            assertEquals(ModelInitializer.INIT_STD, standardDeviation(q), 0.004);
            float[] embed = weights.loadFloats(WeightNames.EMBED_TOKENS,
                    new long[] {config.vocabSize(), config.hiddenSize()});
            assertEquals(2 / Math.sqrt(config.hiddenSize()), standardDeviation(embed), 0.05);
        }
        assertThrows(ModelLoadException.class, () -> weights.loadFloats("model.layers.9.mlp.up_proj.weight",
                new long[] {1, 1}));
    }

    @Test
    void libtorchSeedMakesRandomModelsRepeatable() {
        ModelConfig config = TinyModel.config(Architecture.LLAMA, null, true);
        long[] ids = {5, 4, 3, 2};
        Engine.getEngine("PyTorch").setRandomSeed(11);
        float[] first = logits(config, ids);
        Engine.getEngine("PyTorch").setRandomSeed(11);
        float[] again = logits(config, ids);
        Engine.getEngine("PyTorch").setRandomSeed(12);
        float[] other = logits(config, ids);
        assertArrayEquals(first, again);
        assertNotEquals(first[0], other[0]);
    }

    @Test
    void nf4RandomModelQuantizesTheDecoderLinearsOnly() {
        ModelConfig config = TinyModel.config(Architecture.LLAMA, null, false);
        try (CausalLm dense = CausalLm.random(config, CPU); CausalLm nf4 = CausalLm.random(config, CPU.withNf4(true))) {
            assertEquals(dense.parameterCount(), nf4.parameterCount());
            assertTrue(nf4.baseWeightBytes() < dense.baseWeightBytes());
        }
    }

    private static float[] logits(ModelConfig config, long[] ids) {
        try (CausalLm model = CausalLm.random(config, CPU)) {
            return model.logits(ids)[ids.length - 1];
        }
    }

    private static double standardDeviation(float[] values) {
        double squares = 0;
        for (float v : values) {
            squares += v * v;
        }
        return Math.sqrt(squares / values.length);
    }
}
