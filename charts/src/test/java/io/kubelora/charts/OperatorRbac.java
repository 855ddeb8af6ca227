package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Exactly the API access the operator needs: resource (apiGroup/resource) to verbs. */
final class OperatorRbac {

    static final Map<String, Set<String>> EXPECTED = Map.of(
            "kubelora.io/lorafinetunes", Set.of("get", "list", "watch", "patch", "update"),
            "kubelora.io/lorafinetunes/status", Set.of("get", "patch", "update"),
            "kubelora.io/lorafinetunes/finalizers", Set.of("update"),
            "batch/jobs", Set.of("get", "list", "watch", "create", "patch", "delete"),
            "/configmaps", Set.of("get", "list", "watch", "create", "update", "delete"),
            "/pods", Set.of("get", "list", "watch"),
            "/events", Set.of("create", "patch"),
            "events.k8s.io/events", Set.of("create", "patch"),
            "kubelora.io/finetunepolicies", Set.of("get", "list"));

    /** Cluster-wide in every mode: the one FineTuneProfile a run names, read by name. */
    static final Map<String, Set<String>> PROFILES = Map.of("kubelora.io/finetuneprofiles", Set.of("get"));

    /** Secrets, RBAC and the CRDs themselves stay out of the operator's reach. */
    static final List<String> NEVER = List.of("secrets", "roles", "rolebindings", "clusterroles",
            "clusterrolebindings", "customresourcedefinitions", "serviceaccounts");

    private OperatorRbac() {
    }

    /** What a Role or ClusterRole grants, apiGroup/resource to verbs; never a wildcard or one of {@link #NEVER}. */
    static Map<String, Set<String>> grants(JsonNode role) {
        Map<String, Set<String>> granted = new HashMap<>();
        for (JsonNode rule : role.path("rules")) {
            List<String> verbs = texts(rule.path("verbs"));
            List<String> groups = texts(rule.path("apiGroups"));
            List<String> resources = texts(rule.path("resources"));
            for (List<String> values : List.of(verbs, groups, resources)) {
                assertFalse(values.contains("*"), "wildcard in " + rule);
            }
            assertTrue(rule.path("resourceNames").isMissingNode() && rule.path("nonResourceURLs").isMissingNode());
            for (String group : groups) {
                for (String resource : resources) {
                    assertFalse(NEVER.contains(resource), role.at("/metadata/name").asText() + " must not grant "
                            + resource);
                    granted.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(verbs);
                }
            }
        }
        return granted;
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
