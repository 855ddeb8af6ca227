package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** A frozen base weight kept as one dense array on the device (fp32, or bf16 for bf16 compute). */
public final class DenseWeight implements FrozenWeight {

    private final NDArray weight; // [out, in]
    private final int bytesPerElement;

    /** @param bytesPerElement 4 for fp32, 2 for bf16 (DJL reports bf16 arrays as dtype UNKNOWN) */
    public DenseWeight(NDArray weight, int bytesPerElement) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is [out, in], got " + weight.getShape());
        }
        this.weight = weight;
        this.bytesPerElement = bytesPerElement;
    }

    @Override
    public NDArray materialize(NDManager scope) {
        return weight;
    }

    @Override
    public long[] shape() {
        return weight.getShape().getShape();
    }

    @Override
    public long bytesHeld() {
        return weight.size() * bytesPerElement;
    }

    @Override
    public String format() {
        return bytesPerElement == 2 ? "bf16" : "fp32";
    }

    @Override
    public void close() {
        weight.close();
    }
}
