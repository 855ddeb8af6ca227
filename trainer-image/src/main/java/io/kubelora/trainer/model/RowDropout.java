package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.data.Batch;

/**
 * The dropout masks of one training forward, drawn row by row: the mask of a row at a decoder linear comes from a
 * generator of its own, seeded by (model seed, the row's key, the linear), over the row's real length. A row thus
 * gets the same masks whichever batch it is in, with whatever padding, on whichever replica, in a resumed run, and
 * in a layer recomputed for activation checkpointing. Nothing is drawn from libtorch's global generator, which
 * replicas computing at the same time would share.
 */
final class RowDropout {

    private final Kernels kernels;
    private final NDManager host;
    private final long seed;
    private final Batch batch;

    /** @param host a CPU manager for the small per-row tables the mask kernel reads on the host */
    RowDropout(Kernels kernels, NDManager host, long seed, Batch batch) {
        if (!host.getDevice().equals(Device.cpu())) {
            throw new IllegalArgumentException("the row tables live on the CPU, not " + host.getDevice());
        }
        this.kernels = kernels;
        this.host = host;
        this.seed = seed;
        this.batch = batch;
    }

    /**
     * The dropout of linear {@code linearId} for inputs covering the batch's token rows (b * T + t, row-major)
     * from {@code firstToken} on: x [B, T, in], or [N, in] for a chunk of them.
     */
    Dropout forLinear(int linearId, long firstToken) {
        return (x, p) -> {
            if (p == 0) {
                return x;
            }
            long[] table = new long[batch.batchSize() * 3];                       // [B, 3]: seed, start, length
            for (int b = 0; b < batch.batchSize(); b++) {
                table[3 * b] = rowSeed(seed, batch.rowKeys()[b], linearId);
                table[3 * b + 1] = (long) b * batch.seqLen() - firstToken;
                table[3 * b + 2] = batch.rowLengths()[b];
            }
            NDArray rows = host.create(table, new Shape(batch.batchSize(), 3));
            NDArray keep = host.create(new float[] {(float) (1 - p)});
            return kernels.rowDropout(x, rows, keep);
        };
    }

    /** A generator seed for (seed, row, linear), non-negative: splitmix64 finalizers chained over the three. */
    static long rowSeed(long seed, long rowKey, int linearId) {
        long z = mix(seed + 0x9E3779B97F4A7C15L);
        z = mix(z ^ rowKey);
        z = mix(z ^ linearId);
        return z & Long.MAX_VALUE;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
