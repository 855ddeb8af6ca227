package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA invariants (litgpt/peft style) and the correctness of the gradients forwardBackward produces. */
class LoraTrainingTest {

    private static final List<String> ALL = WeightNames.LINEAR_MODULES;

    @TempDir
    Path tmp;

    private static final long SEED = 3;

    private static ModelOptions options(boolean checkpointing) {
        return ModelOptions.on(Device.cpu()).withSeed(SEED).withGradientCheckpointing(checkpointing);
    }

    private static PeftAdapterConfig lora(int rank, int alpha, double dropout) {
        return new PeftAdapterConfig(null, rank, alpha, dropout, WeightNames.LINEAR_MODULES, false);
    }

    private TinyModel qwen() throws Exception {
        return TinyModel.write(TinyModel.config(Architecture.QWEN2, null, false), 21, tmp.resolve("base"));
    }

    @Test
    void freshAdapterLeavesOutputExactlyUnchanged() throws Exception {
        TinyModel tiny = qwen();
        long[] ids = {1, 2, 3, 4, 5, 6, 7};
        try (CausalLm base = CausalLm.load(tiny.dir, options(false));
             CausalLm adapted = CausalLm.load(tiny.dir, options(false))) {
            LoraAdapters.attach(adapted, lora(4, 8, 0.0), SEED);
            assertEquals(0, base.trainableParameterCount());
            // 2 layers x [(32+32)*4 q + (32+16)*4 k,v + (32+32)*4 o + 3 x (32+48)*4 mlp]
            assertEquals(2 * (256 + 192 + 192 + 256 + 3 * 320), adapted.trainableParameterCount());
            assertEquals(base.parameterCount() + adapted.trainableParameterCount(), adapted.parameterCount());
            float[][] a = base.logits(ids);
            float[][] b = adapted.logits(ids);
            for (int p = 0; p < ids.length; p++) {
                assertArrayEquals(a[p], b[p], 0f);
            }
        }
    }

    @Test
    void adapterPathEqualsMergedWeights() throws Exception {
        TinyModel tiny = qwen();
        Path adapterDir = tmp.resolve("adapter");
        int rank = 3;
        int alpha = 6;
        Map<String, float[]> adapter = tiny.writeRandomAdapter(adapterDir, rank, alpha, List.of("q_proj", "v_proj",
                "down_proj", "gate_proj"), 8);
        TinyModel merged = tiny.merged(adapter, rank, (double) alpha / rank, tmp.resolve("merged"));
        long[] ids = {1, 7, 42, 3, 3, 19, 0, 49};
        try (CausalLm withAdapter = CausalLm.load(tiny.dir, options(false));
             CausalLm mergedModel = CausalLm.load(merged.dir, options(false))) {
            LoraAdapters.load(withAdapter, adapterDir);
            float[][] a = withAdapter.logits(ids);
            float[][] b = mergedModel.logits(ids);
            float[][] base;
            try (CausalLm plain = CausalLm.load(tiny.dir, options(false))) {
                base = plain.logits(ids);
            }
            double change = 0;
            for (int p = 0; p < ids.length; p++) {
                assertArrayEquals(b[p], a[p], 1e-5f, "position " + p);
                for (int v = 0; v < a[p].length; v++) {
                    change = Math.max(change, Math.abs(a[p][v] - base[p][v]));
                }
            }
            assertTrue(change > 1e-2, "the adapter must change the logits, changed " + change);
        }
    }

    @Test
    void gradientsMatchFloat64FiniteDifferences() throws Exception {
        TinyModel tiny = qwen();
        Path adapterDir = tmp.resolve("adapter");
        int rank = 2;
        int alpha = 4;
        Map<String, float[]> adapter = tiny.writeRandomAdapter(adapterDir, rank, alpha, ALL, 5);
        Batch batch = SgdSteps.batch();
        Map<String, float[]> gradients = new HashMap<>();
        // 8 targets: the head's loss is backpropagated in chunks of 3, 3 and 2
        try (CausalLm model = CausalLm.load(tiny.dir, options(false).withHeadChunkRows(3))) {
            LoraAdapters.load(model, adapterDir);
            LossSum loss = model.forwardBackward(batch, 1f);
            assertEquals(referenceLoss(tiny, adapter, rank, alpha, batch), loss.sum(), 1e-4);
            for (TrainableParameter p : model.trainableParameters()) {
                try (NDArray g = p.array().getGradient()) {
                    gradients.put(p.name(), g.toFloatArray());
                }
            }
        }
        // Central differences of the float64 reference loss on the merged weights, for a spread of entries.
        String[] names = {PeftAdapter.loraA(0, "q_proj"), PeftAdapter.loraB(0, "k_proj"),
            PeftAdapter.loraA(1, "o_proj"), PeftAdapter.loraB(1, "down_proj"), PeftAdapter.loraA(0, "up_proj"),
            PeftAdapter.loraB(1, "v_proj")};
        double h = 1e-4;
        int checked = 0;
        for (String name : names) {
            for (int index : new int[] {0, 5, 17}) {
                float[] values = adapter.get(name);
                float original = values[index];
                values[index] = (float) (original + h);
                double plus = referenceLoss(tiny, adapter, rank, alpha, batch);
                values[index] = (float) (original - h);
                double minus = referenceLoss(tiny, adapter, rank, alpha, batch);
                values[index] = original;
                double actualStep = (double) (float) (original + h) - (float) (original - h);
                double numeric = (plus - minus) / actualStep;
                double analytic = gradients.get(name)[index];
                assertEquals(numeric, analytic, 2e-4 + 5e-3 * Math.abs(numeric), name + "[" + index + "]");
                checked++;
            }
        }
        assertEquals(18, checked);
    }

    private static double referenceLoss(TinyModel tiny, Map<String, float[]> adapter, int rank, int alpha,
                                        Batch batch) throws Exception {
        Map<String, float[]> merged = mergedWeights(tiny, adapter, rank, (double) alpha / rank);
        ReferenceForward reference = new ReferenceForward(tiny.config, merged);
        double sum = 0;
        int t = batch.seqLen();
        for (int b = 0; b < batch.batchSize(); b++) {
            long[] ids = java.util.Arrays.copyOfRange(batch.inputIds(), b * t, (b + 1) * t);
            long[] targets = java.util.Arrays.copyOfRange(batch.targets(), b * t, (b + 1) * t);
            sum += reference.lossSum(ids, targets);
        }
        return sum;
    }

    /** W + scaling * B A in float64 then rounded: exact enough for differences of 1e-4 on A or B. */
    private static Map<String, float[]> mergedWeights(TinyModel tiny, Map<String, float[]> adapter, int rank,
                                                      double scaling) {
        Map<String, float[]> merged = new HashMap<>(tiny.weights);
        for (int layer = 0; layer < tiny.config.numHiddenLayers(); layer++) {
            for (String module : ALL) {
                float[] a = adapter.get(PeftAdapter.loraA(layer, module));
                float[] b = adapter.get(PeftAdapter.loraB(layer, module));
                long[] shape = tiny.config.linearShape(module);
                int out = (int) shape[0];
                int in = (int) shape[1];
                float[] w = tiny.weights.get(WeightNames.weight(layer, module));
                float[] result = new float[w.length];
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double delta = 0;
                        for (int r = 0; r < rank; r++) {
                            delta += (double) b[o * rank + r] * a[r * in + i];
                        }
                        result[o * in + i] = (float) (w[o * in + i] + scaling * delta);
                    }
                }
                merged.put(WeightNames.weight(layer, module), result);
            }
        }
        return merged;
    }

    @Test
    void checkpointingGivesTheSameGradientsWithDropout() throws Exception {
        TinyModel tiny = qwen();
        Path adapterDir = tmp.resolve("adapter");
        tiny.writeRandomAdapter(adapterDir, 4, 8, ALL, 9);
        List<float[]> plain = gradientsAfterTwoSteps(tiny, adapterDir, false);
        List<float[]> checkpointed = gradientsAfterTwoSteps(tiny, adapterDir, true);
        assertEquals(plain.size(), checkpointed.size());
        double largest = 0;
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(plain.get(i), checkpointed.get(i), 1e-5f, "parameter " + i);
            for (float g : plain.get(i)) {
                largest = Math.max(largest, Math.abs(g));
            }
        }
        assertTrue(largest > 1e-3, "gradients must not be trivially zero");
    }

    private static List<float[]> gradientsAfterTwoSteps(TinyModel tiny, Path adapterDir, boolean checkpointing) {
        // chunking must not change the gradients either
        ModelOptions options = options(checkpointing).withHeadChunkRows(checkpointing ? 5 : 8);
        try (CausalLm model = CausalLm.load(tiny.dir, options)) {
            LoraAdapters.attach(model, lora(4, 8, 0.3), SEED).loadWeights(adapterDir);
            LossSum first = model.forwardBackward(SgdSteps.batch(), 0.5f);
            // accumulates, the same tokens as other rows of the run: new dropout masks
            LossSum second = model.forwardBackward(SgdSteps.batch().withRowKeys(2, 3), 0.5f);
            assertEquals(8, first.tokens());
            assertFalse(first.sum() == second.sum(), "dropout masks must differ between steps");
            return SgdSteps.gradients(model);
        }
    }

    @Test
    void sgdStepsReduceLossAndLeaveBaseWeightsUntouched() throws Exception {
        TinyModel tiny = qwen();
        Batch batch = SgdSteps.batch();
        try (CausalLm model = CausalLm.load(tiny.dir, options(false))) {
            LoraAdapters.attach(model, lora(8, 16, 0.0), SEED);
            double before = model.loss(batch).sum();
            SgdSteps.run(model, batch, 8, 0.05f);
            double after = model.loss(batch).sum();
            assertTrue(after < 0.8 * before, "loss " + before + " -> " + after);

            for (String module : ALL) {
                NDArray weight = model.linear(1, module).baseWeight(model.manager());
                assertFalse(weight.hasGradient(), module + " must stay frozen");
                assertArrayEquals(tiny.weights.get(WeightNames.weight(1, module)), weight.toFloatArray(), 0f, module);
            }
        }
    }
}
