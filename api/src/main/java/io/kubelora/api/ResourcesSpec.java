package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Hardware and scheduling of the training pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ResourcesSpec(
        @Min(0)
        @Max(16)
        @JsonPropertyDescription("GPUs of the training pod, 0 to 16 (0 trains on CPU). Default 1.")
        Integer gpus,

        @Pattern("^[a-z0-9.-]+/[a-zA-Z0-9._-]+$")
        @JsonPropertyDescription("Extended resource name of a GPU. Default: the operator's setting, "
                + "nvidia.com/gpu unless configured otherwise.")
        String gpuResourceName,

        @JsonPropertyDescription("Memory request and limit of the training container, e.g. 32Gi.")
        Quantity memory,

        @JsonPropertyDescription("CPU request of the training container, e.g. 4.")
        Quantity cpu,

        @JsonPropertyDescription("Node labels the training pod must match, e.g. a GPU product label.")
        Map<String, String> nodeSelector,

        @JsonPropertyDescription("Tolerations of the training pod, e.g. for tainted GPU nodes.")
        List<Toleration> tolerations,

        @JsonPropertyDescription("Affinity rules of the training pod.")
        Affinity affinity,

        @JsonPropertyDescription("PriorityClass of the training pod.")
        String priorityClassName,

        @JsonPropertyDescription("Scratch disk of the training pod: the size limit of its cache volume and the "
                + "container's ephemeral-storage request. Without a model cache volume it holds the downloaded "
                + "base model (about 2 bytes per parameter in bf16: 16Gi for an 8B model); it also stages "
                + "checkpoints, the adapter and a merged model. Default: the operator's setting (the chart's "
                + "scratchSize).")
        Quantity ephemeralStorage,

        @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        @Size(max = 253)
        @JsonPropertyDescription("PersistentVolumeClaim in the run's namespace that holds the shared model cache "
                + "(ReadWriteMany, or one per node): base models and datasets downloaded from hf:// and s3:// are "
                + "kept there, so runs of the same model download it once. Default: the operator's setting (the "
                + "chart's modelCache.claimName); without one the cache is the pod's scratch disk.")
        String modelCacheClaimName) {

    public ResourcesSpec {
        gpus = gpus == null ? 1 : gpus;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    }

    public static ResourcesSpec defaults() {
        return new ResourcesSpec(null, null, null, null, null, null, null, null, null, null);
    }
}
