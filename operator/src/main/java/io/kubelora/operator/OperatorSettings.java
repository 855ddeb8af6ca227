package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every setting of the operator, read from application.properties (where the Helm chart's KUBELORA_* variables
 * map onto them) or KUBELORA_OPERATOR_* variables.
 */
@ConfigMapping(prefix = "kubelora.operator")
public interface OperatorSettings {

    /** Trainer image used when a LoraFineTune names none. */
    @WithDefault("ghcr.io/kubelora/trainer:latest")
    String defaultImage();

    /**
     * Secrets, in each run's namespace, that training pods pull their image with (imagePullSecrets); a run's
     * FineTuneProfile may add its own.
     */
    Optional<List<String>> trainerImagePullSecrets();

    /**
     * Extended resource of a GPU when the spec names none. Set it to an empty string on clusters without
     * a default GPU type: a run asking for GPUs must then name its resource.
     */
    @WithDefault("nvidia.com/gpu")
    Optional<String> gpuResourceName();

    /** Secret with object-storage credentials, used when a spec names no storageSecretName. */
    Optional<String> defaultStorageSecretName();

    /** S3 endpoint (AWS_ENDPOINT_URL) given to trainers, e.g. a MinIO service; unset means AWS itself. */
    Optional<String> defaultStorageEndpoint();

    /**
     * PersistentVolumeClaim, in each run's namespace, mounted as the trainers' shared model cache (downloads
     * from hf:// and s3://). A run may name its own in spec.resources.modelCacheClaimName.
     */
    Optional<String> modelCacheClaimName();

    /**
     * A folder on each node (hostPath) used as the model cache of the runs on that node, when no claim is set.
     * Only an administrator's setting: a run cannot ask for a host folder.
     */
    Optional<String> modelCacheHostPath();

    /**
     * Scratch disk of a training pod: sizeLimit of its cache emptyDir and its ephemeral-storage request, e.g.
     * 40Gi. A run may ask for another size in spec.resources.ephemeralStorage. Unset: no limit and no request.
     */
    Optional<Quantity> scratchSize();

    /** Shortest time between two reads of one trainer's /metrics endpoint. */
    @WithDefault("10s")
    Duration progressInterval();

    /** How long one read of a trainer's /metrics endpoint may take. */
    @WithDefault("2s")
    Duration progressTimeout();

    /** How often a Pending run is looked at again when nothing in the cluster changes. */
    @WithDefault("30s")
    Duration pendingRecheck();
}
