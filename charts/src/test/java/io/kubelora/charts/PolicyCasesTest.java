package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Violation;
import io.kubelora.api.platform.FineTunePolicy;
import io.kubelora.api.platform.PlatformYaml;
import io.kubelora.api.platform.PolicyChecks;
import io.kubelora.api.platform.Profile;
import io.kubelora.api.platform.RunAdmission;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of FineTunePolicy cases (policy-cases.yaml) drives both enforcers and requires the same verdicts: the
 * chart's ValidatingAdmissionPolicy, rendered by Helm and evaluated as the API server does, and the operator's
 * checks (RunAdmission, also behind kubelora validate). Both must refuse the same fields with the same messages;
 * where a profile gives the field, only the operator sees it. Every validation of the policy and every rule of the
 * operator must fire in some case: one that never does is dead, or untested.
 */
class PolicyCasesTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonNode TABLE = table();
    private static final RenderedChart CHART = render();
    private static final String DEFAULT_IMAGE = CHART.operatorEnv().get("KUBELORA_TRAINER_IMAGE");
    private static final AdmissionPolicyEvaluator ADMISSION = new AdmissionPolicyEvaluator(
            CHART.one("ValidatingAdmissionPolicy"), CHART.one("ValidatingAdmissionPolicyBinding"));
    private static final Map<String, Verdicts> VERDICTS = new ConcurrentHashMap<>();

    /** One row: its name, the run as applied, the policies of its namespace and the expected refusals. */
    record Case(String name, JsonNode run, List<JsonNode> policies, Set<String> denied, Set<String> operator) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What the two enforcers said about one case. */
    record Verdicts(List<AdmissionPolicyEvaluator.Denial> admission, List<Violation> operator) {
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (JsonNode row : TABLE.path("cases")) {
            ObjectNode run = TABLE.path("minimal").deepCopy();
            merge(run, YAML.valueToTree(row.path("run").isMissingNode() ? JsonNodeFactory.instance.objectNode()
                    : row.path("run")));
            List<JsonNode> policies = new ArrayList<>();
            row.path("policies").forEach(name -> policies.add(policy(name.asText())));
            Set<String> denied = texts(row.path("denied"));
            cases.add(new Case(row.path("name").asText(), withDefaultImage(run), policies, denied,
                    row.has("operator") ? texts(row.path("operator")) : denied));
        }
        return cases;
    }

    @Test
    void theTableHasAboutThirtyCasesAndTheChartRendersThePolicy() {
        assertTrue(cases().size() >= 30, "cases: " + cases().size());
        assertTrue(ADMISSION.validations().size() >= PolicyChecks.RULES.size(), ADMISSION.validations().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void admissionAndOperatorReachTheSameVerdict(Case c) {
        Verdicts v = verdicts(c);
        assertEquals(new TreeSet<>(c.denied()), fields(v.admission().stream().map(d -> d.message()).toList()),
                "admission: " + v.admission());
        assertEquals(new TreeSet<>(c.operator()), fields(v.operator().stream().map(Violation::toString).toList()),
                "operator: " + v.operator());
        if (c.denied().equals(c.operator())) {
            assertEquals(new TreeSet<>(v.admission().stream().map(d -> d.message()).toList()),
                    new TreeSet<>(v.operator().stream().map(Violation::toString).toList()), "the same messages");
        }
    }

    @Test
    void everyValidationOfTheAdmissionPolicyFiresInSomeCase() {
        Set<Integer> fired = new HashSet<>();
        cases().forEach(c -> verdicts(c).admission().forEach(d -> fired.add(d.validation())));
        List<String> silent = ADMISSION.validations().stream().filter(v -> !fired.contains(v.index()))
                .map(v -> v.index() + ": " + v.expression()).toList();
        assertEquals(List.of(), silent, "validations no case makes fire");
    }

    @Test
    void everyRuleOfTheOperatorFiresInSomeCase() {
        List<Violation> all = new ArrayList<>();
        cases().forEach(c -> all.addAll(verdicts(c).operator()));
        List<PolicyChecks.Rule> silent = PolicyChecks.RULES.stream()
                .filter(rule -> all.stream().noneMatch(rule::found)).toList();
        assertEquals(List.of(), silent, "rules no case makes fire");
    }

    /**
     * A user who may create runs but not read Secrets runs an image of their own with a Secret of the namespace:
     * refused at admission, and by the operator on a cluster without the admission policy.
     */
    @Test
    void aSecretCannotBeExfiltratedThroughAnImageOfOnesOwn() {
        Case exfiltration = cases().stream().filter(c -> c.name().contains("exfiltration")).findFirst().orElseThrow();
        Verdicts v = verdicts(exfiltration);
        List<String> admission = v.admission().stream().map(AdmissionPolicyEvaluator.Denial::message).sorted()
                .toList();
        assertEquals(List.of("spec.credentials.storageSecretName: 'database-admin' is not allowed by FineTunePolicy "
                        + "names (allowedSecrets: object-storage, hf-token)",
                "spec.image: 'attacker.example/dump-env:latest' is not allowed by FineTunePolicy names (allowedImages: "
                        + "none, only the default trainer image)"), admission);
        assertEquals(admission, v.operator().stream().map(Violation::toString).sorted().toList());
    }

    /** A policy added later does not lock existing runs: only a new run or a changed spec is checked. */
    @Test
    void anUpdateThatLeavesTheSpecAloneIsNotChecked() {
        Case refused = cases().stream().filter(c -> c.name().equals("a higher rank")).findFirst().orElseThrow();
        ObjectNode relabelled = refused.run().deepCopy();
        ((ObjectNode) relabelled.get("metadata")).putObject("labels").put("team", "nlp");
        assertEquals(List.of(), ADMISSION.review("UPDATE", relabelled, refused.run(), refused.policies()));
        ObjectNode edited = refused.run().deepCopy();
        ((ObjectNode) edited.at("/spec/lora")).put("rank", 128);
        assertEquals(1, ADMISSION.review("UPDATE", edited, refused.run(), refused.policies()).size());
    }

    private static Verdicts verdicts(Case c) {
        return VERDICTS.computeIfAbsent(c.name(), name -> evaluate(c));
    }

    private static Verdicts evaluate(Case c) {
        List<AdmissionPolicyEvaluator.Denial> admission = ADMISSION.review("CREATE", c.run(), null, c.policies());
        LoraFineTune run = LoraFineTuneYaml.fromTree(c.run(), c.name());
        String profileName = run.getSpec().profile();
        Profile profile = profileName == null ? null : Profile.of(profile(profileName), profileName);
        List<FineTunePolicy> policies = c.policies().stream().map(p -> PlatformYaml.policy(p, c.name())).toList();
        RunAdmission.Result result = RunAdmission.evaluate(new RunAdmission.Request(run, c.run().path("spec"),
                profile, policies, DEFAULT_IMAGE));
        assertEquals(List.of(), result.specViolations(), c.name() + ": the run itself must be valid");
        return new Verdicts(admission, result.policyViolations());
    }

    /** The fields of "field: message" lines. */
    private static Set<String> fields(List<String> messages) {
        return messages.stream().map(m -> m.substring(0, m.indexOf(": "))).collect(Collectors.toCollection(
                TreeSet::new));
    }

    private static JsonNode policy(String name) {
        JsonNode spec = TABLE.path("policies").path(name);
        if (spec.isMissingNode()) {
            throw new IllegalArgumentException("no policy " + name + " in the table");
        }
        ObjectNode policy = JsonNodeFactory.instance.objectNode();
        policy.put("apiVersion", "kubelora.io/v1alpha1").put("kind", FineTunePolicy.KIND);
        policy.putObject("metadata").put("name", name).put("namespace", "team-a");
        policy.set("spec", spec);
        return policy;
    }

    private static JsonNode profile(String name) {
        ObjectNode profile = JsonNodeFactory.instance.objectNode();
        profile.put("apiVersion", "kubelora.io/v1alpha1").put("kind", "FineTuneProfile");
        profile.putObject("metadata").put("name", name);
        profile.set("spec", TABLE.path("profiles").path(name));
        return profile;
    }

    private static JsonNode withDefaultImage(ObjectNode run) {
        JsonNode image = run.at("/spec/image");
        if ("DEFAULT_IMAGE".equals(image.asText())) {
            ((ObjectNode) run.get("spec")).put("image", DEFAULT_IMAGE);
        }
        return run;
    }

    private static void merge(ObjectNode into, JsonNode from) {
        from.fields().forEachRemaining(f -> {
            if (f.getValue().isObject() && into.get(f.getKey()) instanceof ObjectNode child) {
                merge(child, f.getValue());
            } else {
                into.set(f.getKey(), f.getValue().deepCopy());
            }
        });
    }

    private static Set<String> texts(JsonNode list) {
        Set<String> texts = new TreeSet<>();
        list.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    /** Read from the module's folder: this pom module binds no resource processing. */
    private static JsonNode table() {
        try {
            return YAML.readTree(Path.of("src", "test", "resources", "policy-cases.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RenderedChart render() {
        try {
            return RenderedChart.render("", Files.createTempDirectory("policy-cases"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
