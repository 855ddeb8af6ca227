package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Compute dtype of the forward and backward passes. */
public enum Precision {
    /** bf16 on a GPU, fp32 on a CPU. */
    @JsonProperty("auto") AUTO,
    @JsonProperty("fp32") FP32,
    @JsonProperty("bf16") BF16
}
