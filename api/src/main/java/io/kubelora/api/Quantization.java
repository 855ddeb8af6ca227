package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the frozen base linears are held in memory. */
public enum Quantization {
    /** Base weights in their 16/32-bit dtype: plain LoRA. */
    @JsonProperty("none") NONE,
    /** 4-bit NormalFloat base weights, dequantized on the fly: QLoRA. */
    @JsonProperty("nf4") NF4
}
