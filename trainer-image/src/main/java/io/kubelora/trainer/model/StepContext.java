package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.data.Batch;

/**
 * Per-forward constants shared by all decoder layers: batch dimensions, the dropout masks of a training forward
 * ({@link RowDropout}), rotary tables, the sliding-window mask when a window is shorter than the sequence, and the
 * token rows per MLP chunk, all owned by the step's manager so they stay alive until after backward.
 */
final class StepContext {

    final NDManager manager;
    final int batchSize;
    final int seqLen;
    final boolean training;
    private final RowDropout dropout; // null unless training
    final Kernels kernels;
    final NDArray queryCos;   // [T, 1, hd], includes the 1/sqrt(hd) attention scale
    final NDArray querySin;   // [T, 1, hd]
    final NDArray keyCos;     // [T, 1, hd]
    final NDArray keySin;     // [T, 1, hd]
    /** [T, T]: 0 inside the sliding window, -inf elsewhere; null when plain causal attention is the same. */
    final NDArray slidingMask;
    /** Token rows per chunk of the MLP (its [rows, I] activations dominate a layer's memory). */
    final int mlpChunkRows;

    private StepContext(NDManager manager, int batchSize, int seqLen, RowDropout dropout, Kernels kernels,
                        RotaryEmbedding rope, ModelConfig config, int mlpChunkRows) {
        this.manager = manager;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.training = dropout != null;
        this.dropout = dropout;
        this.kernels = kernels;
        NDArray[] query = rope.tables(seqLen, 1.0 / Math.sqrt(config.headDim()), manager);
        NDArray[] key = rope.tables(seqLen, 1.0, manager);
        queryCos = query[0];
        querySin = query[1];
        keyCos = key[0];
        keySin = key[1];
        Integer window = config.slidingWindow();
        slidingMask = window == null || window >= seqLen ? null
                : manager.create(mask(seqLen, window), new Shape(seqLen, seqLen));
        this.mlpChunkRows = mlpChunkRows;
    }

    /** A training forward of {@code batch}: dropout on, its masks drawn from {@code seed} and the rows' keys. */
    static StepContext training(NDManager manager, Batch batch, long seed, Kernels kernels, RotaryEmbedding rope,
                                ModelConfig config, int mlpChunkRows) {
        RowDropout dropout = new RowDropout(kernels, manager.newSubManager(Device.cpu()), seed, batch);
        return new StepContext(manager, batch.batchSize(), batch.seqLen(), dropout, kernels, rope, config,
                mlpChunkRows);
    }

    /** An evaluation or inference forward: no dropout. */
    static StepContext inference(NDManager manager, int batchSize, int seqLen, Kernels kernels, RotaryEmbedding rope,
                                 ModelConfig config, int mlpChunkRows) {
        return new StepContext(manager, batchSize, seqLen, null, kernels, rope, config, mlpChunkRows);
    }

    /**
     * The dropout of linear {@code linearId} for inputs holding the step's token rows (b * T + t) from
     * {@code firstToken} on: all of them, or a chunk.
     */
    Dropout dropout(int linearId, long firstToken) {
        return training ? dropout.forLinear(linearId, firstToken) : Dropout.NONE;
    }

    /** An array on the compute device, for kernels that move data there. */
    NDArray onDevice() {
        return queryCos;
    }

    /** Tokens in the step: B * T. */
    long tokens() {
        return (long) batchSize * seqLen;
    }

    /** Row i may attend to columns j <= i and j > i - window. */
    private static float[] mask(int seqLen, int slidingWindow) {
        float[] mask = new float[seqLen * seqLen];
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                boolean visible = j <= i && j > i - slidingWindow;
                mask[i * seqLen + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return mask;
    }
}
