package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CEL rule of the CRD, with a document that breaks it and one that satisfies it. The table is keyed by
 * the rule's message: a rule added to the model without a case here (or a case whose rule was removed) fails
 * {@link #everyRuleInTheCrdHasACase()}.
 */
class CelRulesTest {

    private record Case(String bad, String good) {
    }

    private static final Map<String, Case> CASES = new LinkedHashMap<>();

    static {
        for (String field : List.of("baseModel", "dataset", "output")) {
            CASES.put("spec." + field + " is required unless spec.profile names a FineTuneProfile that sets it",
                    new Case("{" + field + ": null}", "{" + field + ": null, profile: team-default}"));
        }
        CASES.put("spec.env[].name: the trainer sets these variables itself, or they would change the code it runs "
                + "or the GPUs it sees: KUBELORA_*, AWS_*, LD_*, DJL_*, PYTORCH_*, JAVA_*, JDK_*, _JAVA_*, NVIDIA_*, "
                + "HOME, PATH, HF_TOKEN, CUDA_VISIBLE_DEVICES", new Case(
                "env: [{name: HTTPS_PROXY, value: 'http://proxy:3128'}, {name: AWS_ENDPOINT_URL, value: 'http://x'}]",
                "env: [{name: HTTPS_PROXY, value: 'http://proxy:3128'}, {name: HF_ENDPOINT, value: 'https://m'}]"));
        CASES.put("spec.lora.targetModules: all-linear cannot be combined with other module names", new Case(
                "lora: {targetModules: [all-linear, q_proj]}",
                "lora: {targetModules: [all-linear]}"));
        CASES.put("spec.lora.targetModules: allowed names are all-linear, q_proj, k_proj, v_proj, o_proj, "
                + "gate_proj, up_proj, down_proj", new Case(
                "lora: {targetModules: [q_proj, qkv_proj]}",
                "lora: {targetModules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}"));
        CASES.put("spec.resources.memory must be a positive quantity such as 32Gi or 34359738368", new Case(
                "resources: {memory: lots}",
                "resources: {memory: 32Gi}"));
        CASES.put("spec.resources.ephemeralStorage must be a positive quantity such as 40Gi", new Case(
                "resources: {ephemeralStorage: lots}",
                "resources: {ephemeralStorage: 40Gi}"));
        CASES.put("spec.resources.cpu must be a positive quantity such as 4 or 500m", new Case(
                "resources: {cpu: '0'}",
                "resources: {cpu: 500m}"));
        CASES.put("spec.output.uri: hf:// is only supported for spec.merge.output.uri", new Case(
                "output: {uri: 'hf://me/adapter'}",
                "{output: {uri: 's3://bucket/run'}, merge: {enabled: true, output: {uri: 'hf://me/merged'}}}"));
        CASES.put("spec.training.offloadActivations needs spec.training.gradientCheckpointing", new Case(
                "training: {offloadActivations: true, gradientCheckpointing: false}",
                "training: {offloadActivations: true}"));
        CASES.put("spec.training.learningRate must be greater than 0", new Case(
                "training: {learningRate: 0.0}",
                "training: {learningRate: 0.0002}"));
        CASES.put("spec.quantizationConfig is only allowed with spec.quantization: nf4", new Case(
                "{quantization: none, quantizationConfig: {doubleQuant: false}}",
                "{quantization: nf4, quantizationConfig: {doubleQuant: false}}"));
        CASES.put("spec.merge.output.uri is required when spec.merge.enabled is true", new Case(
                "merge: {enabled: true, dtype: fp16}",
                "merge: {enabled: true, output: {uri: 's3://bucket/merged'}}"));
        CASES.put("spec.training.evalEverySteps needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri", new Case(
                "training: {evalEverySteps: 20}",
                "{training: {evalEverySteps: 20}, dataset: {validationUri: 's3://bucket/valid.jsonl'}}"));
        CASES.put("spec.training.earlyStopping needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri", new Case(
                "training: {earlyStopping: {patience: 2}}",
                "{training: {earlyStopping: {patience: 2}}, dataset: {validationSplit: 0.1}}"));
        CASES.put("spec.training.keepBest needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri", new Case(
                "training: {keepBest: true}",
                "{training: {keepBest: false}}"));
        CASES.put("spec.dataset: set validationSplit or validationUri, not both", new Case(
                "dataset: {validationSplit: 0.1, validationUri: 's3://bucket/valid.jsonl'}",
                "dataset: {validationSplit: 0.0, validationUri: 's3://bucket/valid.jsonl'}"));
    }

    private static final CrdSchema CRD = CrdSchema.load();
    private static final CrdValidator VALIDATOR = new CrdValidator(CRD);

    @Test
    void everyRuleInTheCrdHasACase() {
        List<CelRule> rules = CRD.celRules();
        assertTrue(rules.size() >= CASES.size(), "the CRD lost CEL rules: " + rules);
        assertEquals(new TreeSet<>(CASES.keySet()), new TreeSet<>(rules.stream().map(CelRule::message).toList()),
                "CEL rules in " + CrdSchema.CRD_FILE + " and the cases of this test differ");
    }

    static Stream<Arguments> cases() {
        return CASES.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue().bad(), e.getValue().good()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ruleFiresOnTheBadDocumentOnly(String message, String bad, String good) {
        List<String> badVerdict = VALIDATOR.validate(Documents.withSpec(bad));
        assertEquals(1, badVerdict.size(), "expected exactly this rule to fire on " + bad + ": " + badVerdict);
        assertTrue(badVerdict.get(0).endsWith(": " + message), badVerdict.get(0));
        assertEquals(List.of(), VALIDATOR.validate(Documents.withSpec(good)), "on " + good);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void specValidatorAgreesWithTheRule(String message, String bad, String good) {
        JsonNode badDoc = Documents.withSpec(bad);
        List<String> javaBad = JavaVerdict.of(badDoc);
        assertTrue(!javaBad.isEmpty(), "SpecValidator admits a document the CRD rejects (" + message + "): " + bad);
        assertEquals(List.of(), JavaVerdict.of(Documents.withSpec(good)), "SpecValidator rejects " + good);
    }
}
