package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A frozen base weight [out, in] of a decoder linear, however it is stored (dense fp32 or bf16, NF4 codes...).
 * It never carries a gradient; LoRA adds the trainable update beside it.
 */
public interface FrozenWeight extends AutoCloseable {

    /**
     * The [out, in] weight as the products read it (the held precision), without gradient. Arrays created for
     * it belong to {@code scope} (or the caller's NDScope); when {@link #materializesCopy()} the caller may close
     * the result as soon as its products are recorded (autograd keeps what backward needs), otherwise it is the
     * stored array itself and must not be closed.
     */
    NDArray materialize(NDManager scope);

    /** Whether {@link #materialize} makes a new array at every call (dequantization) rather than returning the stored one. */
    default boolean materializesCopy() {
        return false;
    }

    /** {out, in}. */
    long[] shape();

    /** Device bytes this weight keeps between steps. */
    long bytesHeld();

    /** How it is held: fp32, bf16, nf4 or "nf4 (double quant)". */
    String format();

    @Override
    void close();
}
