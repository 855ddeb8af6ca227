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

    /** x [B, T, in] -> [B, T, out]: all of the step's token rows. */
    NDArray forward(NDArray x, StepContext step) {
        try (InUse w = use(step)) {
            return forward(x, step, w, 0);
        }
    }

    /**
     * x [..., in] -> [..., out] with the base weight {@link #use} made, for several calls over chunks of x: x holds
     * the step's token rows (b * T + t) from {@code firstToken} on, which places the adapter's dropout masks.
     */
    NDArray forward(NDArray x, StepContext step, InUse w, long firstToken) {
        return TensorOps.scoped(() -> {
            NDArray y = step.kernels.linear(x, w.array, bias);                         // [..., out]
            return adapter == null ? y : y.add(adapter.delta(x, step.dropout(id, firstToken)));
        });
    }

    /** The frozen base weight [out, in] as the products read it, in {@code scope}. */
    NDArray baseWeight(NDManager scope) {
        return weight.materialize(scope);
    }

    /** The base weight in the precision the products read it, for one or more {@link #forward} calls. */
    InUse use(StepContext step) {
        return new InUse(weight.materialize(step.manager), weight.materializesCopy());
    }

    /**
     * A base weight [out, in] in use: a dequantized copy is released on close (autograd keeps it as long as
     * backward needs it), a stored one is left alone.
     */
    record InUse(NDArray array, boolean copy) implements AutoCloseable {
        @Override
        public void close() {
            if (copy) {
                array.close();
            }
        }
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

    /** How the frozen weight is held (fp32, bf16, nf4...). */
    String format() {
        return weight.format();
    }

    /** Bytes of the base weight alone. */
    long weightBytesHeld() {
        return weight.bytesHeld();
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
