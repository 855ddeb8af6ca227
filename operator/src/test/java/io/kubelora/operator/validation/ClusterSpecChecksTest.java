package io.kubelora.operator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.kubelora.api.CredentialsSpec;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.ResourcesSpec;
import io.kubelora.api.Violation;
import io.kubelora.operator.Runs;
import io.kubelora.operator.TestSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSpecChecksTest {

    private static List<String> fields(LoraFineTune run, TestSettings settings) {
        return ClusterSpecChecks.validate(run, settings).stream().map(Violation::field).toList();
    }

    private static LoraFineTune withResources(ResourcesSpec resources) {
        return Runs.of("r", LoraFineTuneSpec.of("hf://org/model", "s3://b/d.jsonl", "s3://b/out").toBuilder()
                .resources(resources).build());
    }

    @Test
    void validRunsPass() {
        assertEquals(List.of(), fields(Runs.full("ok"), TestSettings.defaults()));
        assertEquals(List.of(), fields(Runs.minimal("ok"), TestSettings.defaults()));
    }

    @Test
    void localPathsCannotWorkInAPod() {
        LoraFineTune run = Runs.of("r", LoraFineTuneSpec.of("/models/llama", "file:///data/a.jsonl", "./out"));
        List<Violation> found = ClusterSpecChecks.validate(run, TestSettings.defaults());
        assertEquals(List.of("spec.baseModel.uri", "spec.dataset.uri", "spec.output.uri"),
                found.stream().map(Violation::field).toList());
        assertTrue(found.get(0).message().contains("local path"));
    }

    @Test
    void gpusNeedAResourceNameWhenTheOperatorHasNone() {
        LoraFineTune run = withResources(new ResourcesSpec(1, null, null, null, null, null, null, null, null, null));
        assertEquals(List.of("spec.resources.gpuResourceName"), fields(run, TestSettings.defaults()
                .withGpuResourceName("")));
        assertEquals(List.of(), fields(run, TestSettings.defaults()));
        LoraFineTune named = withResources(
                new ResourcesSpec(1, "amd.com/gpu", null, null, null, null, null, null, null, null));
        assertEquals(List.of(), fields(named, TestSettings.defaults().withGpuResourceName(null)));
        LoraFineTune cpu = withResources(new ResourcesSpec(0, null, null, null, null, null, null, null, null, null));
        assertEquals(List.of(), fields(cpu, TestSettings.defaults().withGpuResourceName(null)));
    }

    @Test
    void namesMustBeKubernetesNames() {
        LoraFineTune run = Runs.of("x".repeat(64), LoraFineTuneSpec.of("pvc://Models_1/llama", "s3://b/d.jsonl",
                "s3://b/out").toBuilder().serviceAccountName("Trainer SA")
                .credentials(new CredentialsSpec("S3_SECRET", new SecretKeySelector(null, "", null))).build());
        assertEquals(List.of("metadata.name", "spec.baseModel.uri", "spec.credentials.storageSecretName",
                        "spec.credentials.huggingFaceToken.name", "spec.credentials.huggingFaceToken.key",
                        "spec.serviceAccountName"),
                fields(run, TestSettings.defaults()));
    }

    @Test
    void schemaViolationsComeFirst() {
        LoraFineTune run = Runs.of("r", LoraFineTuneSpec.of("ftp://host/model", "s3://b/d.jsonl", "/out"));
        assertEquals(List.of("spec.baseModel.uri", "spec.output.uri"), fields(run, TestSettings.defaults()));
    }
}
