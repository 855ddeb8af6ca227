package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A frozen base weight [out, in] of a decoder linear, however it is stored (dense fp32, NF4 codes...).
 * It never carries a gradient; LoRA adds the trainable update beside it.
 */
public interface FrozenWeight extends AutoCloseable {

    /**
     * The [out, in] weight in the compute dtype, without gradient. Arrays created for it belong to
     * {@code scope} (or the caller's NDScope) and die with it; the caller must not close the result,
     * which may be the stored array itself.
     */
    NDArray materialize(NDManager scope);

    /** {out, in}. */
    long[] shape();

    /** Device bytes this weight keeps between steps. */
    long bytesHeld();

    /** How it is held: fp32, bf16, nf4 or "nf4 (double quant)". */
    String format();

    @Override
    void close();
}
