package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** A frozen base weight kept as one dense fp32 array on the device. */
public final class DenseWeight implements FrozenWeight {

    private final NDArray weight; // [out, in]

    public DenseWeight(NDArray weight) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is [out, in], got " + weight.getShape());
        }
        this.weight = weight;
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
        return weight.size() * weight.getDataType().getNumOfBytes();
    }

    @Override
    public void close() {
        weight.close();
    }
}
