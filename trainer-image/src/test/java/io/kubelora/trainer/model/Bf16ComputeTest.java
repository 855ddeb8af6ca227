package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bf16 compute ({@link Kernels}) against fp32 on the same tiny models: logits and LoRA gradients agree to
 * bf16's precision (8 significant bits) but are not identical (so the products really ran in bf16), the dense
 * frozen weights, embedding and head take half the bytes, and the LoRA weights still learn.
 */
class Bf16ComputeTest {

    @TempDir
    Path tmp;

    private static final long SEED = 3;

    private static ModelOptions options(boolean bf16, boolean checkpointing) {
        return ModelOptions.on(Device.cpu()).withBf16Compute(bf16).withGradientCheckpointing(checkpointing)
                .withSeed(SEED);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void logitsAgreeToBf16Precision(Architecture architecture) throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(architecture, null, false), 11, tmp.resolve("m"));
        long[] tokens = {3, 17, 42, 8, 29, 1, 44, 10};
        float[][] fp32;
        float[][] bf16;
        try (CausalLm model = CausalLm.load(tiny.dir, options(false, false))) {
            fp32 = model.logits(tokens);
        }
        try (CausalLm model = CausalLm.load(tiny.dir, options(true, false))) {
            bf16 = model.logits(tokens);
        }
        double maxLogit = 0;
        double maxError = 0;
        int sameArgmax = 0;
        for (int p = 0; p < tokens.length; p++) {
            for (int v = 0; v < fp32[p].length; v++) {
                maxLogit = Math.max(maxLogit, Math.abs(fp32[p][v]));
                maxError = Math.max(maxError, Math.abs(fp32[p][v] - bf16[p][v]));
            }
            sameArgmax += argmax(fp32[p]) == argmax(bf16[p]) ? 1 : 0;
        }
        assertTrue(maxError > 1e-4 * maxLogit, "bf16 logits equal fp32 ones: the products did not run in bf16");
        assertTrue(maxError < 0.03 * maxLogit, "bf16 error " + maxError + " for logits up to " + maxLogit);
        assertTrue(sameArgmax >= tokens.length - 1, "argmax agrees at " + sameArgmax + " of " + tokens.length);
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"LLAMA", "QWEN2"})
    void loraGradientsFollowFp32AndWeightsTakeHalfTheBytes(Architecture architecture) throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(architecture, null, true), 12, tmp.resolve("m"));
        tiny.writeRandomAdapter(tmp.resolve("adapter"), 4, 8, WeightNames.LINEAR_MODULES, 13);
        List<float[]> fp32;
        List<float[]> bf16;
        long fp32Bytes;
        long bf16Bytes;
        try (CausalLm model = CausalLm.load(tiny.dir, options(false, false))) {
            fp32 = gradients(model, tmp.resolve("adapter"));
            fp32Bytes = model.baseWeightBytes();
        }
        try (CausalLm model = CausalLm.load(tiny.dir, options(true, true))) { // with checkpointing
            bf16 = gradients(model, tmp.resolve("adapter"));
            bf16Bytes = model.baseWeightBytes();
        }
        ModelConfig c = tiny.config;
        long sixteenBit = (long) c.vocabSize() * c.hiddenSize(); // the tied embedding and head
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = c.linearShape(module);
            sixteenBit += shape[0] * shape[1] * c.numHiddenLayers();
        }
        assertEquals(2 * sixteenBit, fp32Bytes - bf16Bytes,
                "decoder linear weights and the tied embedding held in 2 bytes instead of 4");

        assertEquals(fp32.size(), bf16.size());
        for (int i = 0; i < fp32.size(); i++) {
            double dot = 0;
            double fp32Norm = 0;
            double errorNorm = 0;
            for (int j = 0; j < fp32.get(i).length; j++) {
                double a = fp32.get(i)[j];
                double b = bf16.get(i)[j];
                dot += a * b;
                fp32Norm += a * a;
                errorNorm += (a - b) * (a - b);
            }
            assertTrue(fp32Norm > 0, "parameter " + i + " has no gradient");
            double relativeError = Math.sqrt(errorNorm / fp32Norm);
            assertTrue(relativeError > 1e-5, "parameter " + i + ": bf16 gradient equals the fp32 one");
            // products, attention, SwiGLU, the tied embedding and head, and the kept layer inputs are all bf16
            assertTrue(relativeError < 0.08, "parameter " + i + ": relative gradient error " + relativeError);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = "LLAMA")
    void sgdStepsLowerTheLoss(Architecture architecture) throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(architecture, null, false), 21, tmp.resolve("m"));
        Batch batch = SgdSteps.batch();
        PeftAdapterConfig lora = new PeftAdapterConfig(null, 8, 16, 0.0, WeightNames.LINEAR_MODULES, false);
        try (CausalLm model = CausalLm.load(tiny.dir, options(true, false))) {
            LoraAdapters.attach(model, lora, SEED);
            double before = model.loss(batch).sum();
            SgdSteps.run(model, batch, 8, 0.05f);
            double after = model.loss(batch).sum();
            assertTrue(after < 0.8 * before, "loss " + before + " -> " + after);
        }
    }

    /** The LoRA gradients of one forward/backward on {@link SgdSteps#batch()}, with the adapter in {@code adapterDir}. */
    private static List<float[]> gradients(CausalLm model, Path adapterDir) {
        LoraAdapters.load(model, adapterDir);
        Batch batch = SgdSteps.batch();
        model.forwardBackward(batch, 1f / batch.targetTokens());
        return SgdSteps.gradients(model);
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
