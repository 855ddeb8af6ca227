package io.kubelora.charts;

import java.util.List;
import java.util.Map;
import java.util.Set;

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
            "events.k8s.io/events", Set.of("create", "patch"));

    /** Secrets, RBAC and the CRDs themselves stay out of the operator's reach. */
    static final List<String> NEVER = List.of("secrets", "roles", "rolebindings", "clusterroles",
            "clusterrolebindings", "customresourcedefinitions", "serviceaccounts");

    private OperatorRbac() {
    }
}
