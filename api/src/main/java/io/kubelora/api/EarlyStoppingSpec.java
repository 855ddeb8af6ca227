package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Ends training when the evaluation loss stops improving. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EarlyStoppingSpec(
        @Min(1)
        @Max(1000)
        @JsonPropertyDescription("Evaluations in a row without an improvement of the best evaluation loss by more "
                + "than minDelta after which training stops, 1 to 1000. Default 3.")
        Integer patience,

        @Min(0.0)
        @JsonPropertyDescription("Smallest decrease of the evaluation loss (in nats per token) that counts as an "
                + "improvement, 0 or more. Default 0.")
        Double minDelta) {

    public EarlyStoppingSpec {
        patience = patience == null ? 3 : patience;
        minDelta = minDelta == null ? 0.0 : minDelta;
    }
}
