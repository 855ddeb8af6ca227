package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Learning-rate schedule after the linear warmup. */
public enum LrScheduler {
    @JsonProperty("cosine") COSINE,
    @JsonProperty("linear") LINEAR,
    @JsonProperty("constant") CONSTANT
}
