package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Where a model's named tensors come from: a checkpoint folder ({@link WeightLoader}) or random values made on
 * the device ({@link RandomWeights}, for benchmarks of real shapes without downloading them). Names are Hugging
 * Face tensor names ({@link WeightNames}); shapes are those config.json implies.
 */
interface WeightSource {

    /** Where the tensors come from, for error messages. */
    String origin();

    boolean contains(String name);

    /** The tensor as an fp32 array of {@code expectedShape} on {@code manager}'s device, owned by it. */
    default NDArray load(String name, long[] expectedShape, NDManager manager) {
        return loadRows(name, expectedShape, 0, expectedShape.length == 0 ? 1 : expectedShape[0], manager);
    }

    /**
     * Rows [firstRow, firstRow + rowCount) of the tensor of {@code expectedShape} (along its first axis) as an fp32
     * array on {@code manager}'s device: lets a big tensor reach the device a block at a time.
     */
    NDArray loadRows(String name, long[] expectedShape, long firstRow, long rowCount, NDManager manager);

    /** The tensor as a row-major fp32 Java array (for quantizers, which run on the host). */
    float[] loadFloats(String name, long[] expectedShape);
}
