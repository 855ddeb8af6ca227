package io.kubelora.operator;

import java.time.Duration;
import java.util.Optional;

/** Operator settings for tests that build resources without Quarkus. */
public record TestSettings(String defaultImage, Optional<String> gpuResourceName,
        Optional<String> defaultStorageSecretName, Optional<String> defaultStorageEndpoint,
        Duration progressInterval, Duration progressTimeout, Duration pendingRecheck) implements OperatorSettings {

    public static TestSettings defaults() {
        return new TestSettings("registry.example/kubelora/trainer:1.0", Optional.of("nvidia.com/gpu"),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(10), Duration.ofSeconds(2),
                Duration.ofSeconds(30));
    }

    public TestSettings withGpuResourceName(String name) {
        return new TestSettings(defaultImage, Optional.ofNullable(name), defaultStorageSecretName,
                defaultStorageEndpoint, progressInterval, progressTimeout, pendingRecheck);
    }

    public TestSettings withDefaultStorage(String secretName, String endpoint) {
        return new TestSettings(defaultImage, gpuResourceName, Optional.ofNullable(secretName),
                Optional.ofNullable(endpoint), progressInterval, progressTimeout, pendingRecheck);
    }
}
