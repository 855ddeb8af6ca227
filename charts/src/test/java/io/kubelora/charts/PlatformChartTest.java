package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's part of the platform: the ValidatingAdmissionPolicy and its binding (only when enabled and the
 * cluster serves them), the ClusterRoles aggregated into view and edit (only when enabled), what the operator may
 * read of profiles and policies, and the trainer's image pull Secrets.
 */
class PlatformChartTest {

    private static final String POLICY = RenderedChart.RELEASE + "-finetunepolicy";

    @TempDir
    Path work;

    @Test
    void theAdmissionPolicyChecksEveryFineTunePolicyOfTheRequestsNamespace() {
        RenderedChart chart = RenderedChart.render("", work);
        JsonNode policy = chart.named("ValidatingAdmissionPolicy", POLICY);
        assertEquals("FineTunePolicy", policy.at("/spec/paramKind/kind").asText());
        assertEquals("kubelora.io/v1alpha1", policy.at("/spec/paramKind/apiVersion").asText());
        assertEquals("Fail", policy.at("/spec/failurePolicy").asText());
        JsonNode rule = policy.at("/spec/matchConstraints/resourceRules/0");
        assertEquals(List.of("lorafinetunes"), texts(rule.path("resources")));
        assertEquals(List.of("CREATE", "UPDATE"), texts(rule.path("operations")));
        policy.at("/spec/validations").forEach(v -> assertTrue(v.has("messageExpression"), v.toString()));
        JsonNode binding = chart.named("ValidatingAdmissionPolicyBinding", POLICY);
        assertEquals(POLICY, binding.at("/spec/policyName").asText());
        assertEquals(List.of("Deny"), texts(binding.at("/spec/validationActions")));
        JsonNode paramRef = binding.at("/spec/paramRef");
        assertEquals("{}", paramRef.path("selector").toString(), "every policy");
        assertTrue(paramRef.path("namespace").isMissingNode(), "of the request's namespace");
        assertEquals("Allow", paramRef.path("parameterNotFoundAction").asText(), "a namespace without policies");
    }

    @Test
    void theAdmissionPolicyIsLeftOutWhenDisabledOrOnClustersBefore130() {
        List<String> kinds = List.of("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        RenderedChart disabled = RenderedChart.render("admissionPolicy: {enabled: false}", work);
        RenderedChart old = RenderedChart.render("", work, "1.29.8");
        for (String kind : kinds) {
            assertEquals(List.of(), disabled.ofKind(kind), kind);
            assertEquals(List.of(), old.ofKind(kind), kind);
            assertEquals(1, RenderedChart.render("", work, "1.30.0").ofKind(kind).size(), kind);
        }
    }

    /**
     * helm lint renders for an old default Kubernetes version, so the chart leaves the admission policy out there:
     * a copy of the chart that is told the cluster serves it lints the policy and its binding too.
     */
    @Test
    void lintsCleanInStrictModeWithTheAdmissionPolicy() throws IOException {
        Path copy = work.resolve("kubelora");
        try (Stream<Path> files = Files.walk(RenderedChart.CHART)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(RenderedChart.CHART.relativize(file).toString()),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path helpers = copy.resolve("templates").resolve("_helpers.tpl");
        String text = Files.readString(helpers);
        String start = "{{- define \"kubelora.validatingAdmissionPolicyServed\" -}}";
        int from = text.indexOf(start);
        int to = text.indexOf("{{- end }}\n{{- end }}", from);
        assertTrue(from >= 0 && to > from, "the helper that says whether the cluster serves the policy");
        Files.writeString(helpers, text.substring(0, from) + start + "true{{- end }}"
                + text.substring(to + "{{- end }}\n{{- end }}".length()));

        LintResult lint = new Helm(copy).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void viewReadsAndEditWritesRunsButNoStandardRoleWritesProfilesOrPolicies() {
        RenderedChart chart = RenderedChart.render("", work);
        JsonNode view = chart.named("ClusterRole", RenderedChart.RELEASE + "-view");
        assertEquals("true", view.at("/metadata/labels/rbac.authorization.k8s.io~1aggregate-to-view").asText());
        Set<String> read = Set.of("get", "list", "watch");
        assertEquals(Map.of("kubelora.io/lorafinetunes", read, "kubelora.io/lorafinetunes/status", read,
                "kubelora.io/finetunepolicies", read, "kubelora.io/finetuneprofiles", read), OperatorRbac.grants(view));
        JsonNode edit = chart.named("ClusterRole", RenderedChart.RELEASE + "-edit");
        assertEquals("true", edit.at("/metadata/labels/rbac.authorization.k8s.io~1aggregate-to-edit").asText());
        assertEquals(Map.of("kubelora.io/lorafinetunes", Set.of("create", "update", "patch", "delete",
                "deletecollection")), OperatorRbac.grants(edit));

        RenderedChart without = RenderedChart.render("rbac: {aggregateToDefaultRoles: false}", work);
        assertTrue(without.ofKind("ClusterRole").stream().noneMatch(r -> r.path("metadata").path("labels")
                .toString().contains("aggregate-to")), without.kinds().toString());
    }

    @Test
    void theOperatorReadsProfilesByNameInEveryMode() {
        for (String values : List.of("", "clusterWide: true", "watchNamespaces: [team-a]")) {
            RenderedChart chart = RenderedChart.render(values, work);
            JsonNode reader = chart.named("ClusterRole", RenderedChart.RELEASE + "-profiles");
            assertEquals(OperatorRbac.PROFILES, OperatorRbac.grants(reader), values);
            JsonNode binding = chart.named("ClusterRoleBinding", RenderedChart.RELEASE + "-profiles");
            assertEquals(reader.at("/metadata/name").asText(), binding.at("/roleRef/name").asText());
            HelmChartTest.assertBindsOperatorServiceAccount(chart, binding);
        }
    }

    @Test
    void trainerImagePullSecretsReachTheOperator() {
        RenderedChart chart = RenderedChart.render("trainer: {image: {repository: registry.example/ml/trainer}, "
                + "imagePullSecrets: [registry-ml, registry-mirror]}", work);
        // The operator reads it as a list (OperatorSettingsTest); OperatorImageTest holds it to reading it at all.
        assertEquals("registry-ml,registry-mirror", chart.operatorEnv().get("KUBELORA_TRAINER_IMAGE_PULL_SECRETS"));
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
