package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The FineTuneProfile a run's effective spec was made from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProfileReference(
        @JsonPropertyDescription("Name of the FineTuneProfile.")
        String name,

        @JsonPropertyDescription("Its metadata.resourceVersion when the run's Job was created from it.")
        String resourceVersion) {
}
