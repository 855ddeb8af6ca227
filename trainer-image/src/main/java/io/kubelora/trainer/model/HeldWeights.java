package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Frozen 2-D weights in the precision the products read them in ({@link Kernels#hold}), built a block of rows at a
 * time: with bf16 compute no fp32 copy of a whole tensor ever exists on the device, only one block of at most
 * {@link #BLOCK_BYTES} beside the bf16 result. A 128k-vocabulary head would otherwise pass through a 2 GB fp32
 * copy while loading.
 */
public final class HeldWeights {

    /** Largest fp32 block on the device while a weight is filled in. */
    public static final long BLOCK_BYTES = 64L * 1024 * 1024;

    /** Rows [from, to) of a weight as an fp32 array. */
    @FunctionalInterface
    interface RowBlock {
        NDArray rows(long from, long to);
    }

    private HeldWeights() {
    }

    /** Tensor {@code name} [rows, cols] of {@code weights}, held on {@code manager}'s device. */
    static NDArray load(WeightSource weights, String name, long[] shape, NDManager manager, Kernels kernels) {
        return assemble(shape[0], shape[1], kernels,
                (from, to) -> weights.loadRows(name, shape, from, to - from, manager));
    }

    /**
     * A [rows, cols] weight in the held precision from fp32 blocks of rows: the fp32 rows themselves with fp32
     * compute (one block), block by block into a held array with bf16 compute.
     */
    static NDArray assemble(long rows, long cols, Kernels kernels, RowBlock source) {
        return assemble(rows, cols, kernels, source, BLOCK_BYTES);
    }

    /** {@link #assemble(long, long, Kernels, RowBlock)} with fp32 blocks of at most {@code blockBytes}. */
    static NDArray assemble(long rows, long cols, Kernels kernels, RowBlock source, long blockBytes) {
        if (!kernels.bf16()) {
            return kept(source.rows(0, rows));
        }
        long blockRows = Math.max(1, blockBytes / Float.BYTES / cols);
        NDArray held = null;
        try {
            for (long from = 0; from < rows; from += blockRows) {
                long to = Math.min(rows, from + blockRows);
                try (NDArray block = source.rows(from, to)) {
                    if (held == null) {
                        held = kernels.allocate(rows, cols, block);
                    }
                    kernels.writeRows(held, block, from);
                }
            }
            return kept(held);
        } catch (RuntimeException e) {
            if (held != null) {
                held.close();
            }
            throw e;
        }
    }

    /** The weight outlives any NDScope the caller has open. */
    private static NDArray kept(NDArray weight) {
        NDScope.unregister(weight);
        return weight;
    }
}
