package io.kubelora.api.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.Quantization;
import io.kubelora.api.Violation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A run's effective spec from its profile and the namespace's policies: defaults, overrides and locks. */
class RunAdmissionTest {

    static final String PROFILE = """
            apiVersion: kubelora.io/v1alpha1
            kind: FineTuneProfile
            metadata: {name: qlora-80gb, resourceVersion: "4711"}
            spec:
              description: one 80 GB GPU, QLoRA
              gpuMemory: 80Gi
              queueName: gpu-a100
              imagePullSecrets: [registry-ml]
              locked: [spec.image, spec.resources.gpus, spec.quantization]
              template:
                image: registry.example/ml/trainer:1.0
                quantization: nf4
                lora: {rank: 32}
                dataset: {maxSeqLength: 4096}
                resources: {gpus: 1, memory: 64Gi}
                activeDeadlineSeconds: 43200
                env: [{name: HTTPS_PROXY, value: 'http://proxy:3128'}]
            """;

    static final String RUN = """
            apiVersion: kubelora.io/v1alpha1
            kind: LoraFineTune
            metadata: {name: support-bot, namespace: team-a, labels: {cost-center: cc-42}}
            spec:
              profile: qlora-80gb
              baseModel: {uri: 'hf://meta-llama/Llama-3.1-8B'}
              dataset: {uri: 's3://team-a/support.jsonl'}
              output: {uri: 's3://team-a/runs/support-bot'}
            """;

    @Test
    void theRunGetsTheTemplatesFieldsAndKeepsItsOwn() {
        RunAdmission.Result result = admit(RUN + "  lora: {rank: 8, alpha: 16}\n", List.of());
        assertTrue(result.mayRun(), result.toString());
        LoraFineTuneSpec spec = result.effective().getSpec();
        assertEquals("registry.example/ml/trainer:1.0", spec.image());
        assertEquals(Quantization.NF4, spec.quantization());
        assertEquals(1, spec.resources().gpus());
        assertEquals(new Quantity("64Gi"), spec.resources().memory());
        assertEquals(43200L, spec.activeDeadlineSeconds());
        assertEquals(8, spec.lora().rank(), "the run's rank wins over the template's");
        assertEquals(16, spec.lora().alpha());
        assertEquals(4096, spec.dataset().maxSeqLength(), "objects merge field by field");
        assertEquals("s3://team-a/support.jsonl", spec.dataset().uri());
        assertEquals("HTTPS_PROXY", spec.env().get(0).name());
        assertNull(spec.profile(), "the effective spec is resolved: it names no profile");
        assertEquals(new ProfileReference("qlora-80gb", "4711"), result.profileReference());
    }

    @Test
    void aFieldNeitherSetsTakesItsDefault() {
        LoraFineTuneSpec spec = admit(RUN, List.of()).effective().getSpec();
        assertEquals(32, spec.lora().rank());
        assertEquals(32, spec.lora().alpha(), "the default alpha: the template sets only the rank");
        assertEquals(1, spec.training().epochs());
    }

    @Test
    void theProfilesQueueReplacesTheRunsAndOtherLabelsStay() {
        LoraFineTune effective = admit(RUN.replace("cost-center: cc-42", "cost-center: cc-42, "
                + "kueue.x-k8s.io/queue-name: own-queue"), List.of()).effective();
        assertEquals(Map.of("cost-center", "cc-42", PolicyChecks.QUEUE_LABEL, "gpu-a100"),
                effective.getMetadata().getLabels());
        assertEquals("team-a", effective.getMetadata().getNamespace());
    }

    @Test
    void settingALockedPathIsAViolationNamingIt() {
        RunAdmission.Result result = admit(RUN + "  image: evil.example/trainer:1\n  resources: {gpus: 4}\n",
                List.of());
        assertFalse(result.mayRun());
        assertEquals(List.of("spec.image", "spec.resources.gpus"),
                result.policyViolations().stream().map(Violation::field).toList());
        assertEquals("spec.image: is locked by FineTuneProfile qlora-80gb: the profile decides it; remove it from "
                + "the run", result.policyViolations().get(0).toString());
        // Setting an unlocked neighbour of a locked path is fine.
        assertTrue(admit(RUN + "  resources: {memory: 80Gi}\n", List.of()).mayRun());
    }

    @Test
    void aRunOfAnotherOrNoProfileIsNotMerged() {
        RunAdmission.Result unknown = RunAdmission.evaluate(new RunAdmission.Request(
                LoraFineTuneYaml.parse(RUN, "run.yaml"), null, null, List.of(), null));
        assertEquals(List.of(new Violation("spec.profile", "no FineTuneProfile named 'qlora-80gb'")),
                unknown.specViolations());
        LoraFineTune plain = LoraFineTuneYaml.parse(RUN.replace("  profile: qlora-80gb\n", ""), "run.yaml");
        RunAdmission.Result result = RunAdmission.evaluate(new RunAdmission.Request(plain, null, null, List.of(),
                null));
        assertEquals(plain.getSpec(), result.effective().getSpec());
        assertNull(result.profileReference());
    }

    @Test
    void anEffectiveSpecThatIsInvalidIsReportedAsSuch() {
        // The template's merge output needs the merge to be enabled with a location; the run enables it only.
        RunAdmission.Result result = admit(RUN + "  merge: {enabled: true}\n", List.of());
        assertNull(result.effective());
        assertEquals(List.of("spec.merge.output.uri"), result.specViolations().stream().map(Violation::field).toList());
    }

    @Test
    void thePoliciesShortestDeadlineIsTheDefaultAndTheirLowestRunLimitApplies() {
        String images = "\n  allowedImages: [registry.example/]";
        List<FineTunePolicy> policies = List.of(
                policy("a", "maxActiveDeadlineSeconds: 7200\n  maxConcurrentRuns: 3" + images),
                policy("b", "maxActiveDeadlineSeconds: 3600\n  maxConcurrentRuns: 2" + images));
        LoraFineTune run = LoraFineTuneYaml.parse(RUN.replace("  profile: qlora-80gb\n", ""), "run.yaml");
        RunAdmission.Result result = RunAdmission.evaluate(new RunAdmission.Request(run, null, null, policies, null));
        assertTrue(result.mayRun(), result.toString());
        assertEquals(3600L, result.effective().getSpec().activeDeadlineSeconds());
        assertEquals(2, result.maxConcurrentRuns().getAsInt());
        // The profile's deadline (43200) is the run's own: over the policies' maximum. Its image is checked too.
        RunAdmission.Result profiled = admit(RUN, policies);
        assertEquals(List.of("spec.activeDeadlineSeconds: 43200 is more than FineTunePolicy a allows "
                        + "(maxActiveDeadlineSeconds: 7200)", "spec.activeDeadlineSeconds: 43200 is more than "
                        + "FineTunePolicy b allows (maxActiveDeadlineSeconds: 3600)"),
                profiled.policyViolations().stream().map(Violation::toString).toList());
    }

    @Test
    void aProfileIsReadStrictlyAndItsLockedPathsMustBeSpecFields() {
        Profile profile = Profile.of(SpecMergeTest.tree(PROFILE), "profile.yaml");
        assertEquals(List.of("registry-ml"), profile.spec().imagePullSecrets());
        assertEquals(new Quantity("80Gi"), profile.spec().gpuMemory());
        assertFalse(profile.template().has("lora") && profile.template().get("lora").has("alpha"),
                "the template is kept as written, without defaults");
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Profile.of(SpecMergeTest.tree(
                PROFILE.replace("spec.quantization]", "spec.quantisation, spec.profile]")
                        .replace("gpuMemory: 80Gi", "gpuMemory: lots")
                        .replace("  template:\n", "  template:\n    suspend: true\n")), "profile.yaml"));
        assertEquals(List.of("spec.template.suspend", "spec.locked[2]", "spec.locked[3]", "spec.gpuMemory"),
                e.violations().stream().map(Violation::field).toList());
        assertTrue(e.getMessage().startsWith("profile.yaml: invalid FineTuneProfile: "), e.getMessage());
        InvalidSpecException typo = assertThrows(InvalidSpecException.class, () -> Profile.of(SpecMergeTest.tree(
                PROFILE.replace("lora: {rank: 32}", "lora: {rnak: 32}")), "profile.yaml"));
        assertEquals("spec.template.lora.rnak", typo.violations().get(0).field());
    }

    static RunAdmission.Result admit(String runYaml, List<FineTunePolicy> policies) {
        LoraFineTune run = LoraFineTuneYaml.parse(runYaml, "run.yaml");
        JsonNode written = SpecMergeTest.tree(runYaml).get("spec");
        return RunAdmission.evaluate(new RunAdmission.Request(run, written,
                Profile.of(SpecMergeTest.tree(PROFILE), "profile.yaml"), policies, null));
    }

    static FineTunePolicy policy(String name, String spec) {
        return PlatformYaml.policy(SpecMergeTest.tree("apiVersion: kubelora.io/v1alpha1\nkind: FineTunePolicy\n"
                + "metadata: {name: " + name + "}\nspec:\n  " + spec + "\n"), name + ".yaml");
    }
}
