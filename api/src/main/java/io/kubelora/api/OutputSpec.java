package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Where results are written. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OutputSpec(
        @Required
        @Pattern(SourcePatterns.STORAGE_URI)
        @Size(max = SpecLimits.URI_LENGTH)
        @JsonPropertyDescription("Location: s3://bucket/prefix, pvc://claim/path, file:///path or a local path; "
                + "hf://org/repo[@revision] only for merge.output.")
        String uri) {
}
