package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/** Merging the adapter into the base weights: W' = W + scaling * B A, saved as a plain HF model. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MergeSpec(
        @JsonPropertyDescription("Merge the adapter into the base model after training succeeds. Default false.")
        Boolean enabled,

        @JsonPropertyDescription("Where the merged model is published: s3://, pvc://, hf://org/repo, "
                + "file:// or a local path. Required when enabled.")
        OutputSpec output,

        @JsonPropertyDescription("Weight dtype of the merged model: bf16, fp16 or fp32. Default bf16.")
        MergeDtype dtype,

        @Pattern(SHARD_SIZE_PATTERN)
        @Size(max = SpecLimits.QUANTITY_LENGTH)
        @JsonPropertyDescription("Largest safetensors shard of the merged model, e.g. 5GB or 500MB. Default 5GB.")
        String maxShardSize) {

    /** A size in bytes with a unit, as Hugging Face writes shard sizes. */
    public static final String SHARD_SIZE_PATTERN = "^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)$";

    public MergeSpec {
        enabled = enabled != null && enabled;
        dtype = dtype == null ? MergeDtype.BF16 : dtype;
        maxShardSize = maxShardSize == null ? "5GB" : maxShardSize;
    }

    public static MergeSpec disabled() {
        return new MergeSpec(null, null, null, null);
    }
}
