package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The training data and how it becomes token sequences. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.validationUri) || !has(self.validationSplit) || self.validationSplit == 0.0",
        message = "spec.dataset: set validationSplit or validationUri, not both")
public record DatasetSpec(
        @Required
        @Pattern(SourcePatterns.STORAGE_URI)
        @Size(max = SpecLimits.URI_LENGTH)
        @JsonPropertyDescription("Location of the JSONL dataset: hf://datasets/org/repo[@revision]/file.jsonl, "
                + "s3://bucket/key, pvc://claim/path, file:///path or a local path.")
        String uri,

        @JsonPropertyDescription("Record format: alpaca (instruction, input, output), dolly (instruction, "
                + "context, response: the Databricks Dolly file as published, rendered like alpaca), chat (messages "
                + "of role and content, rendered with the model's chat template), sharegpt (conversations of from "
                + "and value with the roles system, human and gpt, rendered like chat), text (text), or auto "
                + "(detected from the first record). Default auto.")
        DatasetFormat format,

        @Min(0.0)
        @Max(0.5)
        @JsonPropertyDescription("Fraction of the examples held out to measure evaluation loss, 0 to 0.5. "
                + "Default 0 (no evaluation).")
        Double validationSplit,

        @Pattern(SourcePatterns.STORAGE_URI)
        @Size(max = SpecLimits.URI_LENGTH)
        @JsonPropertyDescription("A separate JSONL file of validation examples, in the same format as uri; "
                + "instead of validationSplit. Same locations as uri.")
        String validationUri,

        @Min(16)
        @Max(131072)
        @JsonPropertyDescription("Longest token sequence trained on; longer examples are truncated. "
                + "16 to 131072, default 2048.")
        Integer maxSeqLength,

        @JsonPropertyDescription("Pack several short examples into each sequence of maxSeqLength tokens "
                + "(faster on short data). Default false.")
        Boolean packing) {

    public DatasetSpec {
        format = format == null ? DatasetFormat.AUTO : format;
        validationSplit = validationSplit == null ? 0.0 : validationSplit;
        maxSeqLength = maxSeqLength == null ? 2048 : maxSeqLength;
        packing = packing != null && packing;
    }

    public static DatasetSpec of(String uri) {
        return new DatasetSpec(uri, null, null, null, null, null);
    }

    /** Whether the run measures evaluation loss: a validation share or a validation file. */
    @JsonIgnore
    public boolean hasValidation() {
        return validationSplit > 0.0 || validationUri != null;
    }
}
