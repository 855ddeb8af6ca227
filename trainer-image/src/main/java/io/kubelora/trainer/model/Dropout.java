package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * Dropout (Srivastava et al. 2014) as an adapter applies it to its input in one forward pass: while training, each
 * element is zeroed with probability p and the others are scaled by 1 / (1 - p); in evaluation and inference,
 * nothing.
 */
@FunctionalInterface
public interface Dropout {

    /** No dropout: evaluation, inference. */
    Dropout NONE = (x, p) -> x;

    /** x [..., in] with dropout of probability {@code p} (0 returns x itself). */
    NDArray apply(NDArray x, double p);
}
