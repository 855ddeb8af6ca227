package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The base model: a Hugging Face model folder (config.json, safetensors weights, tokenizer). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BaseModelSpec(
        @Required
        @Pattern(SourcePatterns.STORAGE_URI)
        @Size(max = SpecLimits.URI_LENGTH)
        @JsonPropertyDescription("Location of the Hugging Face model folder: hf://org/repo[@revision], "
                + "s3://bucket/prefix, pvc://claim/path, file:///path or a local path. Supported "
                + "architectures: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM.")
        String uri) {
}
