package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * One trainable array of a model, e.g. a LoRA matrix.
 *
 * @param name  its key in saved files, e.g. {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}
 * @param array the fp32 master values with an attached gradient
 */
public record TrainableParameter(String name, NDArray array) {
}
