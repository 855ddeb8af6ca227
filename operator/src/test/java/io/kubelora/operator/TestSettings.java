package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Operator settings for tests that build resources without Quarkus. */
public record TestSettings(String defaultImage, Optional<List<String>> trainerImagePullSecrets,
        Optional<String> gpuResourceName, Optional<String> defaultStorageSecretName,
        Optional<String> defaultStorageEndpoint, Optional<String> modelCacheClaimName,
        Optional<String> modelCacheHostPath, Optional<Quantity> scratchSize, Duration progressInterval,
        Duration progressTimeout, Duration pendingRecheck) implements OperatorSettings {

    public static TestSettings defaults() {
        return new TestSettings("registry.example/kubelora/trainer:1.0", Optional.empty(),
                Optional.of("nvidia.com/gpu"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(30));
    }

    public TestSettings withGpuResourceName(String name) {
        return new TestSettings(defaultImage, trainerImagePullSecrets, Optional.ofNullable(name),
                defaultStorageSecretName, defaultStorageEndpoint, modelCacheClaimName, modelCacheHostPath,
                scratchSize, progressInterval, progressTimeout, pendingRecheck);
    }

    public TestSettings withDefaultStorage(String secretName, String endpoint) {
        return new TestSettings(defaultImage, trainerImagePullSecrets, gpuResourceName,
                Optional.ofNullable(secretName), Optional.ofNullable(endpoint), modelCacheClaimName,
                modelCacheHostPath, scratchSize, progressInterval, progressTimeout, pendingRecheck);
    }

    /** The operator's model cache (a claim, a node folder, or neither) and scratch size. */
    public TestSettings withModelCache(String claimName, String hostPath, String scratch) {
        return new TestSettings(defaultImage, trainerImagePullSecrets, gpuResourceName, defaultStorageSecretName,
                defaultStorageEndpoint, Optional.ofNullable(claimName), Optional.ofNullable(hostPath),
                Optional.ofNullable(scratch).map(Quantity::new), progressInterval, progressTimeout, pendingRecheck);
    }

    /** Secrets the operator adds to every training pod to pull the trainer image. */
    public TestSettings withImagePullSecrets(String... names) {
        return new TestSettings(defaultImage, Optional.of(List.of(names)), gpuResourceName,
                defaultStorageSecretName, defaultStorageEndpoint, modelCacheClaimName, modelCacheHostPath,
                scratchSize, progressInterval, progressTimeout, pendingRecheck);
    }
}
