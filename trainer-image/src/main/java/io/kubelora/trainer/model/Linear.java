package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import io.kubelora.trainer.lora.LoraAdapter;

/** A decoder linear: frozen base weight [out, in], optional frozen bias [out], optional LoRA adapter. */
final class Linear implements AutoCloseable {

    private final FrozenWeight weight;
    private final NDArray bias; // [out] or null
    private LoraAdapter adapter;

    Linear(FrozenWeight weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** x [..., in] -> [..., out]. */
    NDArray forward(NDArray x, StepContext step) {
        NDArray y = step.kernels.linear(x, weight.materialize(step.manager), bias);
        return adapter == null ? y : y.add(adapter.delta(x, step.training));
    }

    /** The frozen base weight [out, in] as the forward uses it. */
    NDArray baseWeight(ai.djl.ndarray.NDManager scope) {
        return weight.materialize(scope);
    }

    long[] shape() {
        return weight.shape();
    }

    long baseParameterCount() {
        long[] s = weight.shape();
        return s[0] * s[1] + (bias == null ? 0 : bias.size());
    }

    long bytesHeld() {
        return weight.bytesHeld() + (bias == null ? 0 : bias.size() * 4);
    }

    LoraAdapter adapter() {
        return adapter;
    }

    void attach(LoraAdapter newAdapter) {
        if (adapter != null) {
            adapter.close();
        }
        adapter = newAdapter;
    }

    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
        if (adapter != null) {
            adapter.close();
        }
    }
}
