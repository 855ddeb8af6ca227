package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A decoder linear: frozen base weight [out, in], optional frozen bias [out], and optionally a trainable
 * {@link LinearAdapter} attached after the model is built (as peft targets modules by name).
 */
public final class Linear implements AutoCloseable {

    private final FrozenWeight weight;
    private final NDArray bias; // [out] or null
    private final int id;       // its place among the model's linears, which tells its dropout masks apart
    private LinearAdapter adapter;

    Linear(FrozenWeight weight, NDArray bias, int id) {
        this.weight = weight;
        this.bias = bias;
        this.id = id;
    }

    /** x [B, T, in] -> [B, T, out]. */
    NDArray forward(NDArray x, StepContext step) {
        NDArray y = step.kernels.linear(x, weight.materialize(step.manager), bias);
        return adapter == null ? y : y.add(adapter.delta(x, step.dropout(id)));
    }

    /** The frozen base weight [out, in] as the forward uses it. */
    NDArray baseWeight(NDManager scope) {
        return weight.materialize(scope);
    }

    /** {out, in}. */
    public long[] shape() {
        return weight.shape();
    }

    /** The attached adapter, or null. */
    public LinearAdapter adapter() {
        return adapter;
    }

    /** Attaches {@code newAdapter} (null for none), closing the one attached before. */
    public void attach(LinearAdapter newAdapter) {
        if (adapter != null) {
            adapter.close();
        }
        adapter = newAdapter;
    }

    long baseParameterCount() {
        long[] s = weight.shape();
        return s[0] * s[1] + (bias == null ? 0 : bias.size());
    }

    long bytesHeld() {
        return weight.bytesHeld() + (bias == null ? 0 : bias.size() * 4);
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
