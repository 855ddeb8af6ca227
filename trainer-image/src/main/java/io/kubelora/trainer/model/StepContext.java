package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.data.Batch;

/**
 * Per-forward constants shared by all decoder layers: batch dimensions, the dropout masks of a training forward
 * ({@link RowDropout}), rotary tables and the causal mask, all owned by the step's manager so they stay alive until
 * after backward.
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
    final NDArray causalMask; // [T, T]: 0 where attention is allowed, -inf elsewhere

    private StepContext(NDManager manager, int batchSize, int seqLen, RowDropout dropout, Kernels kernels,
                        RotaryEmbedding rope, ModelConfig config) {
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
        causalMask = manager.create(mask(seqLen, config.slidingWindow()), new Shape(seqLen, seqLen));
    }

    /** A training forward of {@code batch}: dropout on, its masks drawn from {@code seed} and the rows' keys. */
    static StepContext training(NDManager manager, Batch batch, long seed, Kernels kernels, RotaryEmbedding rope,
                                ModelConfig config) {
        RowDropout dropout = new RowDropout(kernels, manager.newSubManager(Device.cpu()), seed, batch);
        return new StepContext(manager, batch.batchSize(), batch.seqLen(), dropout, kernels, rope, config);
    }

    /** An evaluation or inference forward: no dropout. */
    static StepContext inference(NDManager manager, int batchSize, int seqLen, Kernels kernels, RotaryEmbedding rope,
                                 ModelConfig config) {
        return new StepContext(manager, batchSize, seqLen, null, kernels, rope, config);
    }

    /** The dropout of linear {@code linearId} for inputs of all B * T token rows. */
    Dropout dropout(int linearId) {
        return training ? dropout.forLinear(linearId, 0) : Dropout.NONE;
    }

    /** Row i may attend to columns j <= i (and j > i - window with sliding-window attention). */
    private static float[] mask(int seqLen, Integer slidingWindow) {
        float[] mask = new float[seqLen * seqLen];
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                boolean visible = j <= i && (slidingWindow == null || j > i - slidingWindow);
                mask[i * seqLen + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return mask;
    }
}
