package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** NF4 settings (Dettmers et al. 2023): blocks of 64 weights, one absmax scale each. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantizationConfig(
        @JsonPropertyDescription("Double quantization: store the per-block absmax scales themselves in 8 bits "
                + "(blocks of 256), about 4.13 instead of 4.5 bits per parameter. Default true.")
        Boolean doubleQuant) {

    public QuantizationConfig {
        doubleQuant = doubleQuant == null || doubleQuant;
    }

    public static QuantizationConfig defaults() {
        return new QuantizationConfig(null);
    }
}
