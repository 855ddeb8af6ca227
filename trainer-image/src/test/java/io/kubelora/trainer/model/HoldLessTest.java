package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What makes training hold less memory changes nothing else: MLP chunks, offloaded layer inputs and a host
 * embedding give the same losses and LoRA gradients as the plain path (exactly where the arithmetic is the same,
 * to bf16 precision where the kept values are rounded), and the bytes they hold move or shrink as planned.
 */
class HoldLessTest {

    @TempDir
    Path tmp;

    private static final long SEED = 17;
    private static final Batch BATCH = SgdSteps.batch();
    private static final long TOKENS = (long) BATCH.batchSize() * BATCH.seqLen();

    private static ModelOptions cpu() {
        return ModelOptions.on(Device.cpu()).withSeed(SEED);
    }

    /** Losses and LoRA gradients of two accumulated micro-batches (dropout on), with what the model held. */
    private record Step(double[] losses, List<float[]> gradients, LayerInputs.KeptBytes kept, long deviceBytes,
                        long hostBytes) {
    }

    private Step step(TinyModel tiny, ModelOptions options) {
        return step(tiny, options, 0.2);
    }

    private Step step(TinyModel tiny, ModelOptions options, double dropout) {
        try (CausalLm model = CausalLm.load(tiny.dir, options)) {
            LoraAdapters.attach(model, new PeftAdapterConfig(null, 4, 8, dropout, WeightNames.LINEAR_MODULES, false),
                    SEED).loadWeights(tmp.resolve("adapter"));
            double first = model.forwardBackward(BATCH, 0.5f).sum();
            // the same tokens as other rows of the run: other dropout masks
            double second = model.forwardBackward(BATCH.withRowKeys(2, 3), 0.5f).sum();
            List<float[]> gradients = SgdSteps.gradients(model);
            return new Step(new double[] {first, second}, gradients, model.checkpointBytes(),
                    model.deviceWeightBytes(), model.hostWeightBytes());
        }
    }

    private TinyModel tiny(Architecture architecture, boolean tied) throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(architecture, null, tied), 5, tmp.resolve("model"));
        tiny.writeRandomAdapter(tmp.resolve("adapter"), 4, 8, WeightNames.LINEAR_MODULES, 6);
        return tiny;
    }

    /** Without dropout: chunks draw their dropout masks chunk by chunk (the same ones at every recomputation). */
    @Test
    void mlpChunksGiveTheSameLossAndGradients() throws Exception {
        TinyModel tiny = tiny(Architecture.LLAMA, false);
        for (boolean checkpointing : new boolean[] {false, true}) {
            ModelOptions whole = cpu().withGradientCheckpointing(checkpointing);
            Step oneChunk = step(tiny, whole, 0);
            Step chunks = step(tiny, whole.withMlpChunkRows(5), 0); // 12 token rows: chunks of 5, 5 and 2
            assertArrayEquals(oneChunk.losses(), chunks.losses(), 1e-5);
            assertClose(oneChunk.gradients(), chunks.gradients(), 1e-6);
        }
    }

    @Test
    void offloadedLayerInputsGiveExactlyTheSameGradientsAndLeaveTheDevice() throws Exception {
        TinyModel tiny = tiny(Architecture.QWEN2, false);
        ModelConfig c = tiny.config;
        for (boolean bf16 : new boolean[] {false, true}) {
            ModelOptions kept = cpu().withBf16Compute(bf16).withGradientCheckpointing(true).withMlpChunkRows(5);
            Step onDevice = step(tiny, kept);
            Step offloaded = step(tiny, kept.withOffloadActivations(true));
            assertArrayEquals(onDevice.losses(), offloaded.losses(), 0);
            assertClose(onDevice.gradients(), offloaded.gradients(), 0);
            long inputs = c.numHiddenLayers() * TOKENS * c.hiddenSize() * (bf16 ? 2 : 4);
            assertEquals(new LayerInputs.KeptBytes(inputs, 0), onDevice.kept(), "bf16 " + bf16);
            assertEquals(new LayerInputs.KeptBytes(0, inputs), offloaded.kept(), "bf16 " + bf16);
        }
    }

    @Test
    void bf16LayerInputsTakeHalfTheBytesAndFollowTheFullGraph() throws Exception {
        TinyModel tiny = tiny(Architecture.LLAMA, true);
        ModelOptions bf16 = cpu().withBf16Compute(true);
        Step full = step(tiny, bf16);
        Step checkpointed = step(tiny, bf16.withGradientCheckpointing(true));
        ModelConfig c = tiny.config;
        assertEquals(c.numHiddenLayers() * TOKENS * c.hiddenSize() * 2, checkpointed.kept().device());
        assertArrayEquals(full.losses(), checkpointed.losses(), 0.02 * Math.abs(full.losses()[0]));
        for (int i = 0; i < full.gradients().size(); i++) {
            double error = relativeError(full.gradients().get(i), checkpointed.gradients().get(i));
            assertTrue(error < 0.05, "parameter " + i + ": relative gradient error " + error);
        }
    }

    @Test
    void embeddingOnTheHostGivesTheSameGradientsAndMovesItsBytes() throws Exception {
        TinyModel untied = tiny(Architecture.LLAMA, false);
        ModelConfig c = untied.config;
        Step onDevice = step(untied, cpu().withGradientCheckpointing(true));
        Step onHost = step(untied, cpu().withGradientCheckpointing(true).withEmbeddingOnHost(true));
        assertArrayEquals(onDevice.losses(), onHost.losses(), 0);
        assertClose(onDevice.gradients(), onHost.gradients(), 0);
        long table = (long) c.vocabSize() * c.hiddenSize() * 4;
        assertEquals(0, onDevice.hostBytes());
        assertEquals(table, onHost.hostBytes());
        assertEquals(onDevice.deviceBytes() - table, onHost.deviceBytes());

        TinyModel tied = tiny(Architecture.QWEN2, true);
        assertEquals(0, step(tied, cpu().withEmbeddingOnHost(true)).hostBytes(), "a tied table stays with the head");
    }

    @Test
    void bf16WeightsFilledBlockByBlockEqualOneCast() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             Kernels kernels = Kernels.load(true, 1e-6, manager)) {
            NDArray fp32 = manager.randomNormal(new ai.djl.ndarray.types.Shape(10, 8));
            NDArray blocks = HeldWeights.assemble(10, 8, kernels,
                    (from, to) -> fp32.get(new NDIndex("{}:{}", from, to)).duplicate(), 3 * 8 * 4); // 3 rows a block
            NDArray whole = kernels.hold(fp32.duplicate());
            NDArray rows = manager.create(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
            float[] fromBlocks = kernels.embed(rows, blocks, rows).toFloatArray();
            assertArrayEquals(kernels.embed(rows, whole, rows).toFloatArray(), fromBlocks, 0f);
            assertArrayEquals(fp32.toFloatArray(), fromBlocks, 0.01f); // bf16 keeps 8 significant bits
        }
    }

    private static void assertClose(List<float[]> expected, List<float[]> actual, double relative) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            double error = relativeError(expected.get(i), actual.get(i));
            assertTrue(error <= relative, "parameter " + i + ": relative error " + error);
        }
    }

    private static double relativeError(float[] expected, float[] actual) {
        double norm = 0;
        double error = 0;
        for (int j = 0; j < expected.length; j++) {
            norm += (double) expected[j] * expected[j];
            error += ((double) expected[j] - actual[j]) * ((double) expected[j] - actual[j]);
        }
        assertTrue(norm > 0, "a gradient is zero");
        return Math.sqrt(error / norm);
    }
}
