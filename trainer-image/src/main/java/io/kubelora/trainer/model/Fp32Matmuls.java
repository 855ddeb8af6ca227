package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;

/** Every product in fp32 with DJL's own ops; weights held as loaded. */
final class Fp32Matmuls implements Matmuls {

    static final Fp32Matmuls INSTANCE = new Fp32Matmuls();

    private Fp32Matmuls() {
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return TensorOps.linear(x, weight, bias);
    }

    @Override
    public NDArray matMul(NDArray a, NDArray b) {
        return a.matMul(b);
    }

    @Override
    public NDArray hold(NDArray fp32Weight) {
        return fp32Weight;
    }

    @Override
    public int heldBytesPerElement() {
        return 4;
    }

    @Override
    public String description() {
        return "fp32";
    }

    @Override
    public void close() {
        // nothing held
    }
}
