package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Hardware and scheduling of the training pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
// Int-or-string fields are dyn in CEL: an integer is compared, a string parsed (Kubernetes 1.29+ quantity library).
@ValidationRule(value = "!has(self.memory) || (type(self.memory) == int ? self.memory > 0 "
        + ": isQuantity(self.memory) && quantity(self.memory).sign() == 1)",
        message = "spec.resources.memory must be a positive quantity such as 32Gi or 34359738368")
@ValidationRule(value = "!has(self.cpu) || (type(self.cpu) == int ? self.cpu > 0 "
        + ": isQuantity(self.cpu) && quantity(self.cpu).sign() == 1)",
        message = "spec.resources.cpu must be a positive quantity such as 4 or 500m")
@ValidationRule(value = "!has(self.ephemeralStorage) || (type(self.ephemeralStorage) == int ? "
        + "self.ephemeralStorage > 0 : isQuantity(self.ephemeralStorage) && quantity(self.ephemeralStorage).sign() == 1)",
        message = "spec.resources.ephemeralStorage must be a positive quantity such as 40Gi")
public record ResourcesSpec(
        @Min(0)
        @Max(16)
        @JsonPropertyDescription("GPUs of the training pod, 0 to 16 (0 trains on CPU). The trainer uses all of "
                + "them: one data-parallel replica per GPU. Default 1.")
        Integer gpus,

        @Pattern(GPU_RESOURCE_PATTERN)
        @Size(max = SpecLimits.QUALIFIED_NAME_LENGTH)
        @JsonPropertyDescription("Extended resource name of a GPU. Default: the operator's setting, "
                + "nvidia.com/gpu unless configured otherwise.")
        String gpuResourceName,

        @JsonPropertyDescription("Memory request and limit of the training container, e.g. 32Gi.")
        @Size(max = SpecLimits.QUANTITY_LENGTH)
        Quantity memory,

        @JsonPropertyDescription("CPU request of the training container, e.g. 4.")
        @Size(max = SpecLimits.QUANTITY_LENGTH)
        Quantity cpu,

        @JsonPropertyDescription("Node labels the training pod must match, e.g. a GPU product label.")
        @Size(max = SpecLimits.NODE_SELECTOR_ENTRIES)
        Map<String, @Size(max = SpecLimits.LABEL_VALUE_LENGTH) String> nodeSelector,

        @JsonPropertyDescription("Tolerations of the training pod, e.g. for tainted GPU nodes.")
        @Size(max = SpecLimits.TOLERATIONS)
        List<Toleration> tolerations,

        @JsonPropertyDescription("Affinity rules of the training pod.")
        Affinity affinity,

        @JsonPropertyDescription("PriorityClass of the training pod.")
        @Size(max = SpecLimits.NAME_LENGTH)
        String priorityClassName,

        @JsonPropertyDescription("Scratch disk of the training pod: the size limit of its cache volume and the "
                + "container's ephemeral-storage request. Without a model cache volume it holds the downloaded "
                + "base model (about 2 bytes per parameter in bf16: 16Gi for an 8B model); it also stages "
                + "checkpoints, the adapter and a merged model. Default: the operator's setting (the chart's "
                + "scratchSize).")
        @Size(max = SpecLimits.QUANTITY_LENGTH)
        Quantity ephemeralStorage,

        @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        @Size(max = SpecLimits.NAME_LENGTH)
        @JsonPropertyDescription("PersistentVolumeClaim in the run's namespace that holds the shared model cache "
                + "(ReadWriteMany, or one per node): base models and datasets downloaded from hf:// and s3:// are "
                + "kept there, so runs of the same model download it once. Default: the operator's setting (the "
                + "chart's modelCache.claimName); without one the cache is the pod's scratch disk.")
        String modelCacheClaimName) {

    /** An extended resource name: a domain, '/', a name. */
    public static final String GPU_RESOURCE_PATTERN = "^[a-z0-9.-]+/[a-zA-Z0-9._-]+$";

    public ResourcesSpec {
        gpus = gpus == null ? 1 : gpus;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    }

    public static ResourcesSpec defaults() {
        return new ResourcesSpec(null, null, null, null, null, null, null, null, null, null);
    }
}
