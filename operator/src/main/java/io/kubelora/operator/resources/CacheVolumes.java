package io.kubelora.operator.resources;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.kubelora.api.ResourcesSpec;
import io.kubelora.operator.OperatorSettings;
import java.util.List;
import java.util.Optional;

/**
 * Where a training pod keeps what it downloads and stages. {@code /cache} is the pod's scratch disk, an emptyDir
 * whose size limit is also the container's ephemeral-storage request, so the scheduler places the pod where the
 * disk is and the kubelet never evicts it for using what it asked for. A shared model cache, when the run or the
 * operator names one (a PersistentVolumeClaim, or a folder on each node), is mounted at {@code /model-cache} and
 * given to the trainer as KUBELORA_MODEL_CACHE_DIR: base models and datasets are then downloaded once for all
 * runs that share it (the trainer locks each item while one run downloads it).
 */
public final class CacheVolumes {

    /** The trainer's work and (without a shared cache) download folder: KUBELORA_CACHE_DIR. */
    public static final String SCRATCH_DIR = "/cache";
    /** The shared model cache: KUBELORA_MODEL_CACHE_DIR. */
    public static final String MODEL_CACHE_DIR = "/model-cache";
    static final String SCRATCH_VOLUME = "cache";
    static final String MODEL_CACHE_VOLUME = "model-cache";

    private CacheVolumes() {
    }

    /** The emptyDir of the scratch disk, limited to the run's scratch size when there is one. */
    static Volume scratch(ResourcesSpec resources, OperatorSettings settings) {
        return new VolumeBuilder().withName(SCRATCH_VOLUME).withNewEmptyDir()
                .withSizeLimit(scratchSize(resources, settings).orElse(null)).endEmptyDir().build();
    }

    /** The run's scratch size: its own, else the operator's; empty when neither is set. */
    static Optional<Quantity> scratchSize(ResourcesSpec resources, OperatorSettings settings) {
        return resources.ephemeralStorage() != null ? Optional.of(resources.ephemeralStorage())
                : settings.scratchSize();
    }

    /** The shared model cache volume, or empty when the run has none. The run's claim wins over the operator's. */
    static Optional<Volume> modelCache(ResourcesSpec resources, OperatorSettings settings) {
        Optional<String> claim = Optional.ofNullable(resources.modelCacheClaimName())
                .or(settings::modelCacheClaimName).filter(s -> !s.isBlank());
        if (claim.isPresent()) {
            return Optional.of(new VolumeBuilder().withName(MODEL_CACHE_VOLUME).withNewPersistentVolumeClaim()
                    .withClaimName(claim.get()).endPersistentVolumeClaim().build());
        }
        // The folder must exist and be writable by the trainer's user (1000): a missing one keeps the pod from
        // starting with a clear event instead of a root-owned folder the trainer cannot write.
        return settings.modelCacheHostPath().filter(s -> !s.isBlank())
                .map(path -> new VolumeBuilder().withName(MODEL_CACHE_VOLUME).withNewHostPath().withPath(path)
                        .withType("Directory").endHostPath().build());
    }

    /** The trainer's environment for these volumes. */
    static List<EnvVar> environment(boolean sharedCache) {
        EnvVar scratch = new EnvVar("KUBELORA_CACHE_DIR", SCRATCH_DIR, null);
        return sharedCache ? List.of(scratch, new EnvVar("KUBELORA_MODEL_CACHE_DIR", MODEL_CACHE_DIR, null))
                : List.of(scratch);
    }
}
