package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A trainable update added to the output of a frozen decoder linear, y = x W^T + adapter(x), such as a LoRA
 * adapter. The model runs it and collects its parameters; what it computes and how it is saved is its own.
 */
public interface LinearAdapter extends AutoCloseable {

    /** The update for x [..., in], giving [..., out], with {@code dropout} applied to x if the adapter uses any. */
    NDArray delta(NDArray x, Dropout dropout);

    /** Its trainable arrays, each with a gradient, in a fixed order. */
    List<TrainableParameter> parameters();

    @Override
    void close();
}
