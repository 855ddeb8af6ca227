package io.kubelora.trainer.lora;

import ai.djl.ndarray.NDArray;

/**
 * One trainable adapter matrix.
 *
 * @param name  its PEFT key, e.g. {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}
 * @param array the fp32 master values with an attached gradient ([r, in] for A, [out, r] for B)
 */
public record LoraParameter(String name, NDArray array) {
}
