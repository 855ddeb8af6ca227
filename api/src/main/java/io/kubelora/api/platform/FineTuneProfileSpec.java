package io.kubelora.api.platform;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.SpecLimits;
import io.kubelora.api.crd.ListTypeSet;
import io.kubelora.api.crd.SpecTemplate;
import java.util.List;

/** A profile: the template runs start from, what they may not change, and where they run. */
@JsonClassDescription("The template runs of this profile start from, the spec paths they may not change, and "
        + "where they run (GPU memory of the nodes, Kueue queue, image pull Secrets).")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.gpuMemory) || (type(self.gpuMemory) == int ? self.gpuMemory > 0 "
        + ": isQuantity(self.gpuMemory) && quantity(self.gpuMemory).sign() == 1)",
        message = FineTuneProfileSpec.GPU_MEMORY_MESSAGE)
public record FineTuneProfileSpec(
        @Size(max = SpecLimits.DESCRIPTION_LENGTH)
        @JsonPropertyDescription("What the profile is for, shown by kubectl get ftprofile.")
        String description,

        @SpecTemplate
        @JsonPropertyDescription("Any fields of a LoraFineTune spec (image, resources, quantization, lora, training, "
                + "dataset.maxSeqLength, credentials, serviceAccountName, deadlines, env, ...) except profile and "
                + "suspend. A run's effective spec is this template with the run's own fields on top: objects are "
                + "merged field by field, env by name, other lists and values are replaced.")
        LoraFineTuneSpec template,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @ListTypeSet
        @JsonPropertyDescription("Spec paths a run may not set, e.g. spec.image or spec.resources (which locks "
                + "every field below it): the run gets the template's value, or the default when the template has "
                + "none. A run that sets one fails, naming the path.")
        List<@Pattern(LOCKED_PATH_PATTERN) @Size(max = SpecLimits.SPEC_PATH_LENGTH) String> locked,

        @Size(max = SpecLimits.QUANTITY_LENGTH)
        @JsonPropertyDescription("Memory of one GPU on the nodes this profile's runs go to, e.g. 80Gi: the trainer "
                + "checks that the run fits in it before it downloads anything (environment variable "
                + "KUBELORA_GPU_MEMORY of the training pod).")
        Quantity gpuMemory,

        @Pattern(QUEUE_NAME_PATTERN)
        @Size(max = SpecLimits.LABEL_VALUE_LENGTH)
        @JsonPropertyDescription("Kueue LocalQueue the runs of this profile are submitted to (label "
                + "kueue.x-k8s.io/queue-name of their Job); a LocalQueue of this name must exist in each namespace "
                + "that uses the profile. Replaces the run's own queue label.")
        String queueName,

        @Size(max = SpecLimits.IMAGE_PULL_SECRETS)
        @ListTypeSet
        @JsonPropertyDescription("Secrets (in the run's namespace) to pull the trainer image with, added to the "
                + "operator's own (the chart's trainer.imagePullSecrets).")
        List<@Size(max = SpecLimits.NAME_LENGTH) String> imagePullSecrets) {

    /** A path into a LoraFineTune spec: spec, then field names. */
    public static final String LOCKED_PATH_PATTERN = "^spec(\\.[A-Za-z][A-Za-z0-9]*)+$";
    /** A LocalQueue name that is also a label value. */
    public static final String QUEUE_NAME_PATTERN = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";
    static final String GPU_MEMORY_MESSAGE = "spec.gpuMemory must be a positive quantity such as 80Gi";

    public FineTuneProfileSpec {
        locked = locked == null ? List.of() : List.copyOf(locked);
        imagePullSecrets = imagePullSecrets == null ? List.of() : List.copyOf(imagePullSecrets);
    }
}
