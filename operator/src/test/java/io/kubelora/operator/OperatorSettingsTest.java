package io.kubelora.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Quantity;
import io.kubelora.operator.ha.LeaderElectionSettings;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The environment variables the Helm chart sets reach the operator's settings through application.properties,
 * as in the operator's pod; an empty value (the chart's way of saying "none") means none.
 */
class OperatorSettingsTest {

    private static SmallRyeConfig config(Map<String, String> env) throws IOException {
        URL properties = OperatorSettingsTest.class.getClassLoader().getResource("application.properties");
        return new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 100, new DurationConverter()) // Quarkus' "10s"
                .withSources(new PropertiesConfigSource(properties), new EnvConfigSource(env, 300))
                .withMapping(OperatorSettings.class)
                .withMapping(LeaderElectionSettings.class)
                .build();
    }

    @Test
    void chartVariablesReachTheSettings() throws IOException {
        SmallRyeConfig config = config(Map.of(
                "KUBELORA_TRAINER_IMAGE", "registry.example.com/ml/trainer:1.2.3",
                "KUBELORA_GPU_RESOURCE_NAME", "amd.com/gpu",
                "KUBELORA_MODEL_CACHE_CLAIM", "shared-models",
                "KUBELORA_MODEL_CACHE_HOST_PATH", "/var/cache/kubelora",
                "KUBELORA_SCRATCH_SIZE", "40Gi",
                "KUBELORA_TRAINER_IMAGE_PULL_SECRETS", "registry-ml,registry-mirror",
                "KUBELORA_LEASE_NAME", "ml-kubelora",
                "POD_NAMESPACE", "kubelora"));
        OperatorSettings settings = config.getConfigMapping(OperatorSettings.class);
        assertEquals("registry.example.com/ml/trainer:1.2.3", settings.defaultImage());
        assertEquals(Optional.of("amd.com/gpu"), settings.gpuResourceName());
        assertEquals(Optional.of("shared-models"), settings.modelCacheClaimName());
        assertEquals(Optional.of("/var/cache/kubelora"), settings.modelCacheHostPath());
        assertEquals(Optional.of(new Quantity("40Gi")), settings.scratchSize());
        assertEquals(Optional.of(List.of("registry-ml", "registry-mirror")), settings.trainerImagePullSecrets());
        LeaderElectionSettings lease = config.getConfigMapping(LeaderElectionSettings.class);
        assertEquals("ml-kubelora", lease.leaseName());
        assertEquals(Optional.of("kubelora"), lease.leaseNamespace());
        assertEquals(Duration.ofSeconds(15), lease.leaseDuration());
    }

    @Test
    void emptyChartValuesMeanNone() throws IOException {
        SmallRyeConfig config = config(Map.of(
                "KUBELORA_GPU_RESOURCE_NAME", "",
                "KUBELORA_MODEL_CACHE_CLAIM", "",
                "KUBELORA_MODEL_CACHE_HOST_PATH", "",
                "KUBELORA_SCRATCH_SIZE", "",
                "KUBELORA_TRAINER_IMAGE_PULL_SECRETS", ""));
        OperatorSettings settings = config.getConfigMapping(OperatorSettings.class);
        assertEquals(Optional.empty(), settings.gpuResourceName().filter(s -> !s.isBlank()),
                "an empty gpuResourceName: runs asking for GPUs must name their resource");
        assertEquals(Optional.empty(), settings.modelCacheClaimName());
        assertEquals(Optional.empty(), settings.modelCacheHostPath());
        assertEquals(Optional.empty(), settings.scratchSize());
        assertEquals(Optional.empty(), settings.trainerImagePullSecrets());
    }

    @Test
    void withoutTheChartTheDefaultsApply() throws IOException {
        OperatorSettings settings = config(Map.of()).getConfigMapping(OperatorSettings.class);
        assertEquals(Optional.of("nvidia.com/gpu"), settings.gpuResourceName());
        assertEquals(Optional.empty(), settings.modelCacheClaimName());
    }
}
