package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropout masks belong to rows, not to batches: the same rows batched whole or in parts (other padding, other
 * positions in the batch), or run through the MLP in chunks of token rows, give the same gradients, with and without
 * activation checkpointing; other row keys give
 * other masks; the kernel keeps the asked share, scales by 1 / keep, and a chunk of token rows sees the same mask
 * values as the whole.
 */
class RowDropoutTest {

    private static final long SEED = 9;
    private static final long X = Batch.IGNORE;

    @TempDir
    Path tmp;

    /** Four rows of 7, 4, 6 and 3 tokens, right-padded to 7, keyed 20 to 23. */
    private static Batch fourRows() {
        long[][] rows = {{3, 8, 13, 21, 34, 5, 9}, {4, 9, 16, 25}, {7, 1, 4, 1, 5, 9}, {2, 7, 18}};
        return batch(rows, new long[] {20, 21, 22, 23});
    }

    private static Batch batch(long[][] rows, long[] keys) {
        int t = 0;
        for (long[] row : rows) {
            t = Math.max(t, row.length);
        }
        long[] ids = new long[rows.length * t];
        long[] targets = new long[rows.length * t];
        int[] lengths = new int[rows.length];
        java.util.Arrays.fill(targets, X);
        for (int r = 0; r < rows.length; r++) {
            lengths[r] = rows[r].length;
            for (int i = 0; i < rows[r].length; i++) {
                ids[r * t + i] = rows[r][i];
                if (i + 1 < rows[r].length) {
                    targets[r * t + i] = rows[r][i + 1];
                }
            }
        }
        return new Batch(rows.length, t, ids, targets, keys, lengths);
    }

    /** Rows [from, to) of {@code batch} as a batch of their own, padded to their own longest. */
    private static Batch part(Batch batch, int from, int to) {
        long[][] rows = new long[to - from][];
        for (int r = from; r < to; r++) {
            rows[r - from] = java.util.Arrays.copyOfRange(batch.inputIds(), r * batch.seqLen(),
                    r * batch.seqLen() + batch.rowLengths()[r]);
        }
        return batch(rows, java.util.Arrays.copyOfRange(batch.rowKeys(), from, to));
    }

    private List<float[]> gradients(TinyModel tiny, Path adapter, boolean checkpointing, double dropout,
                                    List<Batch> batches) {
        return gradients(tiny, adapter, checkpointing, 0, dropout, batches);
    }

    /** {@code mlpChunkRows} 0: the MLP over all token rows at once. */
    private List<float[]> gradients(TinyModel tiny, Path adapter, boolean checkpointing, int mlpChunkRows,
                                    double dropout, List<Batch> batches) {
        ModelOptions options = ModelOptions.on(Device.cpu()).withSeed(SEED).withGradientCheckpointing(checkpointing)
                .withMlpChunkRows(mlpChunkRows);
        try (CausalLm model = CausalLm.load(tiny.dir, options)) {
            LoraAdapters.attach(model, new PeftAdapterConfig(null, 4, 8, dropout, WeightNames.LINEAR_MODULES, false),
                    SEED).loadWeights(adapter);
            for (Batch batch : batches) {
                model.forwardBackward(batch, 0.1f);
            }
            return SgdSteps.gradients(model);
        }
    }

    @Test
    void theSameRowsBatchedOtherwiseDrawTheSameMasks() throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(Architecture.LLAMA, null, false), 4, tmp.resolve("m"));
        Path adapter = tmp.resolve("adapter");
        tiny.writeRandomAdapter(adapter, 4, 8, WeightNames.LINEAR_MODULES, 6);
        Batch whole = fourRows();
        List<Batch> parts = List.of(part(whole, 2, 4), part(whole, 0, 1), part(whole, 1, 2)); // other order, padding
        for (boolean checkpointing : new boolean[] {false, true}) {
            List<float[]> a = gradients(tiny, adapter, checkpointing, 0.3, List.of(whole));
            List<float[]> b = gradients(tiny, adapter, checkpointing, 0.3, parts);
            // the MLP in chunks of 5 token rows, which cut rows (of 7) in the middle
            List<float[]> chunked = gradients(tiny, adapter, checkpointing, 5, 0.3, List.of(whole));
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), 1e-6f, "parameter " + i + ", checkpointing " + checkpointing);
                assertArrayEquals(a.get(i), chunked.get(i), 1e-6f, "parameter " + i + " with MLP chunks, "
                        + "checkpointing " + checkpointing);
            }
        }
        List<float[]> withDropout = gradients(tiny, adapter, false, 0.3, List.of(whole));
        List<float[]> without = gradients(tiny, adapter, false, 0.0, List.of(whole));
        List<float[]> otherKeys = gradients(tiny, adapter, false, 0.3, List.of(whole.withRowKeys(30, 31, 32, 33)));
        assertTrue(differ(withDropout, without), "dropout must change the gradients");
        assertTrue(differ(withDropout, otherKeys), "other rows must draw other masks");
    }

    private static boolean differ(List<float[]> a, List<float[]> b) {
        double largest = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                largest = Math.max(largest, Math.abs(a.get(i)[j] - b.get(i)[j]));
            }
        }
        return largest > 1e-4;
    }

    @Test
    void theKernelKeepsTheAskedShareAndAChunkSeesTheWholesValues() {
        int d = 500;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             Kernels kernels = Kernels.load(false, 1e-5, manager)) {
            NDArray x = manager.ones(new Shape(2, 6, d));                              // [B, T, in]
            // row 0: 6 tokens, row 1: 4 tokens then 2 of padding
            NDArray rows = manager.create(new long[] {11, 0, 6, 12, 6, 4}, new Shape(2, 3));
            NDArray keep = manager.create(new float[] {0.75f});
            float[] whole = kernels.rowDropout(x, rows, keep).toFloatArray();          // [2 * 6 * d]
            int kept = 0;
            for (int i = 0; i < whole.length; i++) {
                int token = i / d;
                if (token >= 10) {
                    assertEquals(0f, whole[i], "padding (row 1, positions 4 and 5)");
                    continue;
                }
                assertTrue(whole[i] == 0f || Math.abs(whole[i] - 1 / 0.75f) < 1e-6, "kept values are scaled");
                kept += whole[i] == 0f ? 0 : 1;
            }
            double share = kept / (10.0 * d);
            assertEquals(0.75, share, 0.03, "share kept");

            // token rows 3 to 8 alone: row 0 began 3 rows before, row 1 begins 3 rows in
            NDArray chunk = manager.ones(new Shape(5, d));
            NDArray chunkRows = manager.create(new long[] {11, -3, 6, 12, 3, 4}, new Shape(2, 3));
            float[] part = kernels.rowDropout(chunk, chunkRows, keep).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(whole, 3 * d, 8 * d), part, 0f);
        }
    }
}
