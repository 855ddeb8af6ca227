package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * Where the decoder's matrix products run and in which precision the frozen dense weights are held. Everything
 * else (norms, rotary, softmax, loss, the LoRA path and its fp32 master weights) is fp32 either way, as in
 * torch's autocast: products take fp32 arrays and return fp32 arrays, so no 16-bit array ever reaches DJL's
 * own dtype code.
 */
interface Matmuls extends AutoCloseable {

    /** x [..., in] W^T (+ bias [out]) -> [..., out]; weight [out, in] as {@link #hold} returned it, or fp32. */
    NDArray linear(NDArray x, NDArray weight, NDArray bias);

    /** Batched a [..., n, k] @ b [..., k, m] -> [..., n, m]. */
    NDArray matMul(NDArray a, NDArray b);

    /** The array to keep for a frozen fp32 weight (the same array, or a copy in the compute dtype, closing it). */
    NDArray hold(NDArray fp32Weight);

    /** Bytes per element of the arrays {@link #hold} returns. */
    int heldBytesPerElement();

    /** For the log, e.g. "bf16 matmuls". */
    String description();

    @Override
    void close();
}
