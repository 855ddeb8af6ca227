package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Weight dtype of a merged model. */
public enum MergeDtype {
    @JsonProperty("bf16") BF16,
    @JsonProperty("fp16") FP16,
    @JsonProperty("fp32") FP32
}
