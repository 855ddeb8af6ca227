package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** Secrets the training pod reads; only references, never values. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CredentialsSpec(
        @JsonPropertyDescription("Name of a Secret in the run's namespace whose keys become environment "
                + "variables of the trainer: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally "
                + "AWS_ENDPOINT_URL, AWS_REGION, AWS_SESSION_TOKEN.")
        @Size(max = SpecLimits.NAME_LENGTH)
        String storageSecretName,

        @JsonPropertyDescription("The Secret key holding a Hugging Face access token, exported to the trainer as "
                + "HF_TOKEN (for gated models and hf:// uploads).")
        SecretKeySelector huggingFaceToken) {
}
