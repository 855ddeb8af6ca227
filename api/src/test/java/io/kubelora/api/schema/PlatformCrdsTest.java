package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.docs.FieldReference;
import io.kubelora.api.platform.PlatformYaml;
import io.kubelora.api.platform.Profile;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The FineTuneProfile and FineTunePolicy CRDs admit and reject what the Java readers of {@code kubelora validate}
 * and the operator admit and reject, and every CEL rule of their own (the template's are a run's, tested by
 * {@link CelRulesTest}) fires on a case.
 */
class PlatformCrdsTest {

    private static final CrdSchema PROFILE_CRD = CrdSchema.load(Path.of("..", "crds",
            "finetuneprofiles.kubelora.io-v1.yml"));
    private static final CrdSchema POLICY_CRD = CrdSchema.load(Path.of("..", "crds",
            "finetunepolicies.kubelora.io-v1.yml"));
    private static final String PROFILE = """
            apiVersion: kubelora.io/v1alpha1
            kind: FineTuneProfile
            metadata: {name: qlora-80gb}
            spec:
              gpuMemory: 80Gi
              locked: [spec.image, spec.resources]
              template:
                quantization: nf4
                resources: {gpus: 1, memory: 64Gi}
                dataset: {maxSeqLength: 4096}
                merge: {enabled: true, maxShardSize: 2GB}
            """;
    private static final String POLICY = """
            apiVersion: kubelora.io/v1alpha1
            kind: FineTunePolicy
            metadata: {name: team-a}
            spec:
              allowedProfiles: [qlora-80gb]
              allowedSecrets: []
              maxGpusPerRun: 2
            """;

    static Stream<Arguments> profiles() {
        return Stream.of(
                Arguments.of("a valid profile", PROFILE, null),
                Arguments.of("gpuMemory lots", PROFILE.replace("80Gi", "lots"), "spec.gpuMemory"),
                Arguments.of("gpuMemory 0", PROFILE.replace("80Gi", "'0'"), "spec.gpuMemory"),
                Arguments.of("a template that suspends", PROFILE.replace("quantization: nf4", "suspend: true"),
                        "suspend"),
                Arguments.of("a template naming a profile", PROFILE.replace("quantization: nf4", "profile: other"),
                        "profile"),
                Arguments.of("a template rank of 0", PROFILE.replace("quantization: nf4", "lora: {rank: 0}"),
                        "rank"),
                Arguments.of("a locked path outside spec", PROFILE.replace("spec.image", "metadata.labels"),
                        "locked"),
                Arguments.of("a queue with capitals", PROFILE.replace("gpuMemory: 80Gi", "queueName: GPU"),
                        "queueName"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("profiles")
    void profileCrdAndJavaReaderAgree(String name, String yaml, String field) {
        JsonNode document = CrdValidator.parse(yaml);
        List<String> crd = new CrdValidator(PROFILE_CRD).validate(document);
        List<String> java;
        try {
            Profile.of(document, name);
            java = List.of();
        } catch (InvalidSpecException e) {
            java = e.violations().stream().map(Object::toString).toList();
        }
        if (field == null) {
            assertEquals(List.of(), crd);
            assertEquals(List.of(), java);
        } else {
            assertTrue(crd.stream().anyMatch(m -> m.contains(field)), "CRD: " + crd);
            assertTrue(java.stream().anyMatch(m -> m.contains(field)), "Java: " + java);
        }
    }

    @Test
    void policyCrdAndJavaReaderAgree() {
        CrdValidator crd = new CrdValidator(POLICY_CRD);
        assertEquals(List.of(), crd.validate(CrdValidator.parse(POLICY)));
        PlatformYaml.policy(CrdValidator.parse(POLICY), "policy.yaml");
        for (String bad : List.of(POLICY.replace("maxGpusPerRun: 2", "maxGpusPerRun: 17"),
                POLICY.replace("maxGpusPerRun: 2", "maxGpus: 2"),
                POLICY.replace("allowedSecrets: []", "allowedSecrets: s3-credentials"))) {
            assertFalse(crd.validate(CrdValidator.parse(bad)).isEmpty(), bad);
        }
        // Bounds are the CRD's; the Java reader refuses what has the wrong shape.
        assertThrowsNaming("spec.maxGpus", POLICY.replace("maxGpusPerRun: 2", "maxGpus: 2"));
        assertThrowsNaming("spec.allowedSecrets", POLICY.replace("allowedSecrets: []",
                "allowedSecrets: s3-credentials"));
    }

    /** The profiles and the policy of examples/platform pass their CRD and the Java readers. */
    @Test
    void thePlatformExamplesAreValid() {
        Path folder = Path.of("..", "examples", "platform");
        int profiles = 0;
        int policies = 0;
        for (String file : List.of("profile-qlora-1x80gb.yaml", "profile-cpu-smoke-test.yaml", "policy-team-a.yaml")) {
            for (JsonNode document : PlatformYaml.documents(folder.resolve(file))) {
                if (PlatformYaml.isKind(document, "FineTuneProfile")) {
                    assertEquals(List.of(), new CrdValidator(PROFILE_CRD).validate(document), file);
                    Profile.of(document, file);
                    profiles++;
                } else {
                    assertEquals(List.of(), new CrdValidator(POLICY_CRD).validate(document), file);
                    PlatformYaml.policy(document, file);
                    policies++;
                }
            }
        }
        assertEquals(2, profiles);
        assertEquals(1, policies);
    }

    /** The only rule of the profile's own fields is the quantity rule of gpuMemory: a case above breaks it. */
    @Test
    void everyRuleOutsideTheTemplateIsBrokenByACase() {
        List<String> own = PROFILE_CRD.celRules().stream()
                .filter(r -> !r.path().startsWith(FieldReference.PROFILE_TEMPLATE)).map(CelRule::message).toList();
        assertEquals(List.of("spec.gpuMemory must be a positive quantity such as 80Gi"), own);
        assertEquals(List.of(), POLICY_CRD.celRules());
        assertTrue(new CrdValidator(PROFILE_CRD).validate(CrdValidator.parse(PROFILE.replace("80Gi", "lots")))
                .stream().anyMatch(m -> m.endsWith(own.get(0))));
    }

    private static void assertThrowsNaming(String field, String yaml) {
        try {
            PlatformYaml.policy(CrdValidator.parse(yaml), "policy.yaml");
            throw new AssertionError("admitted: " + yaml);
        } catch (InvalidSpecException e) {
            assertTrue(e.violations().get(0).field().startsWith(field), e.getMessage());
        }
    }
}
