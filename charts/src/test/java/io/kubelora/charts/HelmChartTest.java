package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lints and renders the operator chart and checks what it grants, how it runs and what it configures. */
class HelmChartTest {

    @TempDir
    Path work;

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(RenderedChart.CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void defaultsWatchTheReleaseNamespaceWithANamespacedRole() {
        RenderedChart chart = RenderedChart.render("", work);
        assertTrue(chart.runRbac("ClusterRole").isEmpty() && chart.runRbac("ClusterRoleBinding").isEmpty(),
                chart.kinds().toString());
        JsonNode role = chart.named("Role", RenderedChart.RELEASE);
        assertEquals(RenderedChart.NAMESPACE, role.at("/metadata/namespace").asText());
        assertExactRules(role);
        JsonNode binding = chart.named("RoleBinding", RenderedChart.RELEASE);
        assertEquals(RenderedChart.NAMESPACE, binding.at("/metadata/namespace").asText());
        assertEquals(role.at("/metadata/name").asText(), binding.at("/roleRef/name").asText());
        assertBindsOperatorServiceAccount(chart, binding);
        assertEquals(RenderedChart.NAMESPACE,
                chart.operatorEnv().get("QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES"));
    }

    @Test
    void oneRoleAndBindingPerWatchedNamespace() {
        RenderedChart chart = RenderedChart.render("watchNamespaces: [team-a, team-b]", work);
        List<JsonNode> roles = chart.runRbac("Role");
        List<JsonNode> bindings = chart.runRbac("RoleBinding");
        assertEquals(List.of("team-a", "team-b"), roles.stream().map(r -> r.at("/metadata/namespace").asText()).toList());
        assertEquals(List.of("team-a", "team-b"),
                bindings.stream().map(r -> r.at("/metadata/namespace").asText()).toList());
        roles.forEach(HelmChartTest::assertExactRules);
        bindings.forEach(b -> assertBindsOperatorServiceAccount(chart, b));
        assertEquals("team-a,team-b",
                chart.operatorEnv().get("QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES"));
    }

    @Test
    void clusterWideUsesAClusterRoleAndWatchesAllNamespaces() {
        RenderedChart chart = RenderedChart.render("clusterWide: true\nwatchNamespaces: [ignored]", work);
        assertTrue(chart.runRbac("Role").isEmpty() && chart.runRbac("RoleBinding").isEmpty(),
                chart.kinds().toString());
        assertExactRules(chart.named("ClusterRole", RenderedChart.RELEASE));
        JsonNode binding = chart.named("ClusterRoleBinding", RenderedChart.RELEASE);
        assertEquals("ClusterRole", binding.at("/roleRef/kind").asText());
        assertBindsOperatorServiceAccount(chart, binding);
        assertEquals("JOSDK_ALL_NAMESPACES",
                chart.operatorEnv().get("QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES"));
    }

    @Test
    void operatorRunsLockedDown() {
        JsonNode deployment = RenderedChart.render("", work).one("Deployment");
        JsonNode pod = deployment.at("/spec/template/spec");
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        assertEquals("RuntimeDefault", pod.at("/securityContext/seccompProfile/type").asText());
        JsonNode container = pod.at("/containers/0");
        JsonNode security = container.path("securityContext");
        assertTrue(security.path("readOnlyRootFilesystem").asBoolean());
        assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true));
        assertEquals(List.of("ALL"), texts(security.at("/capabilities/drop")));
        assertEquals("/q/health/live", container.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/q/health/ready", container.at("/readinessProbe/httpGet/path").asText());
        assertEquals("http", container.at("/livenessProbe/httpGet/port").asText());
        assertEquals(8080, container.at("/ports/0/containerPort").asInt());
        assertEquals("http", container.at("/ports/0/name").asText());
    }

    @Test
    void defaultImagesAndSettings() {
        RenderedChart chart = RenderedChart.render("", work);
        String appVersion = RenderedChart.appVersion();
        assertEquals("ghcr.io/kubelora/operator:" + appVersion, chart.operatorContainer().path("image").asText());
        Map<String, String> env = chart.operatorEnv();
        assertEquals("ghcr.io/kubelora/trainer:" + appVersion, env.get("KUBELORA_TRAINER_IMAGE"));
        assertEquals("nvidia.com/gpu", env.get("KUBELORA_GPU_RESOURCE_NAME"));
        assertEquals("", env.get("KUBELORA_STORAGE_ENDPOINT"));
        assertEquals("", env.get("KUBELORA_STORAGE_SECRET_NAME"));
        assertEquals("40Gi", env.get("KUBELORA_SCRATCH_SIZE"));
        assertEquals("", env.get("KUBELORA_MODEL_CACHE_CLAIM"));
        assertEquals("", env.get("KUBELORA_MODEL_CACHE_HOST_PATH"));
        assertEquals("", env.get("KUBELORA_TRAINER_IMAGE_PULL_SECRETS"));
        assertEquals(List.of("ClusterRole/kubelora-edit", "ClusterRole/kubelora-profiles", "ClusterRole/kubelora-view",
                "ClusterRoleBinding/kubelora-profiles", "Deployment/kubelora", "Role/kubelora",
                "Role/kubelora-leader-election", "RoleBinding/kubelora", "RoleBinding/kubelora-leader-election",
                "Service/kubelora", "ServiceAccount/kubelora", "ValidatingAdmissionPolicy/kubelora-finetunepolicy",
                "ValidatingAdmissionPolicyBinding/kubelora-finetunepolicy"), chart.kinds().stream().sorted().toList());
    }

    @Test
    void nonDefaultValuesReachTheDeployment() {
        RenderedChart chart = RenderedChart.render("""
                operator:
                  image: {repository: registry.example.com/ml/kubelora-operator, tag: "1.2.3", pullPolicy: Always}
                  args: ["-Dquarkus.log.category.\\"io.kubelora\\".level=DEBUG"]
                trainer:
                  image: {repository: registry.example.com/ml/kubelora-trainer, tag: 1.2.3-cpu}
                gpuResourceName: amd.com/gpu
                storage: {endpoint: "http://minio.storage.svc:9000", secretName: minio-credentials}
                nodeSelector: {kubernetes.io/os: linux}
                tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
                affinity:
                  nodeAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [system]}]}]
                resources: {requests: {cpu: 200m, memory: 300Mi}, limits: {memory: 600Mi}}
                """, work);
        JsonNode container = chart.operatorContainer();
        assertEquals("registry.example.com/ml/kubelora-operator:1.2.3", container.path("image").asText());
        assertEquals("Always", container.path("imagePullPolicy").asText());
        assertEquals(List.of("-Dquarkus.log.category.\"io.kubelora\".level=DEBUG"), texts(container.path("args")));
        assertEquals("600Mi", container.at("/resources/limits/memory").asText());
        Map<String, String> env = chart.operatorEnv();
        assertEquals("registry.example.com/ml/kubelora-trainer:1.2.3-cpu", env.get("KUBELORA_TRAINER_IMAGE"));
        assertEquals("amd.com/gpu", env.get("KUBELORA_GPU_RESOURCE_NAME"));
        assertEquals("http://minio.storage.svc:9000", env.get("KUBELORA_STORAGE_ENDPOINT"));
        assertEquals("minio-credentials", env.get("KUBELORA_STORAGE_SECRET_NAME"));
        JsonNode pod = chart.one("Deployment").at("/spec/template/spec");
        assertEquals("linux", pod.at("/nodeSelector/kubernetes.io~1os").asText());
        assertEquals("dedicated", pod.at("/tolerations/0/key").asText());
        assertEquals("system", pod.at("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution"
                + "/nodeSelectorTerms/0/matchExpressions/0/values/0").asText());
    }

    @Test
    void monitoringObjectsWhenEnabled() {
        RenderedChart chart = RenderedChart.render("""
                watchNamespaces: [team-a]
                serviceMonitor: {enabled: true}
                podMonitor: {enabled: true}
                grafanaDashboard: {enabled: true}
                """, work);
        JsonNode serviceMonitor = chart.one("ServiceMonitor");
        assertEquals("/q/metrics", serviceMonitor.at("/spec/endpoints/0/path").asText());
        assertEquals("http", serviceMonitor.at("/spec/endpoints/0/port").asText());
        JsonNode podMonitor = chart.one("PodMonitor");
        assertEquals("kubelora-trainer", podMonitor.at("/spec/selector/matchLabels/app.kubernetes.io~1name").asText());
        assertEquals("metrics", podMonitor.at("/spec/podMetricsEndpoints/0/port").asText());
        assertEquals(List.of("team-a"), texts(podMonitor.at("/spec/namespaceSelector/matchNames")));
        JsonNode dashboard = chart.ofKind("ConfigMap").get(0);
        assertEquals("1", dashboard.at("/metadata/labels/grafana_dashboard").asText());
        assertTrue(dashboard.at("/data/kubelora-training.json").asText().contains("kubelora_tokens_per_second"));
        assertEquals(1, chart.ofKind("Service").size());
        assertEquals(8080, chart.one("Service").at("/spec/ports/0/port").asInt());
    }

    @Test
    void anEmptyGpuResourceNameLeavesRunsToNameTheirOwn() {
        assertEquals("", RenderedChart.render("gpuResourceName: \"\"", work).operatorEnv()
                .get("KUBELORA_GPU_RESOURCE_NAME"));
    }

    @Test
    void replicasElectALeaderWithALeaseOfTheirOwn() {
        RenderedChart chart = RenderedChart.render("replicaCount: 2", work);
        JsonNode deployment = chart.one("Deployment");
        assertEquals(2, deployment.at("/spec/replicas").asInt());
        assertEquals("RollingUpdate", deployment.at("/spec/strategy/type").asText());
        String lease = chart.operatorEnv().get("KUBELORA_LEASE_NAME");
        assertEquals(RenderedChart.RELEASE + "-leader", lease);
        JsonNode podNamespace = chart.operatorContainer().path("env").findParent("fieldRef");
        assertEquals("metadata.namespace", podNamespace.at("/fieldRef/fieldPath").asText());
        assertTrue(chart.operatorContainer().path("env").toString().contains("\"name\":\"POD_NAMESPACE\""));

        JsonNode role = chart.named("Role", RenderedChart.RELEASE + "-leader-election");
        assertEquals(RenderedChart.NAMESPACE, role.at("/metadata/namespace").asText());
        Map<String, Set<String>> granted = new HashMap<>();
        for (JsonNode rule : role.path("rules")) {
            assertEquals(List.of("coordination.k8s.io"), texts(rule.path("apiGroups")));
            assertEquals(List.of("leases"), texts(rule.path("resources")));
            String names = String.join(",", texts(rule.path("resourceNames")));
            granted.computeIfAbsent(names, k -> new TreeSet<>()).addAll(texts(rule.path("verbs")));
        }
        // What the operator SDK checks before it competes for the Lease: get, create and update of that Lease.
        assertEquals(Map.of("", Set.of("create"), lease, Set.of("get", "update")), granted);
        JsonNode binding = chart.named("RoleBinding", RenderedChart.RELEASE + "-leader-election");
        assertEquals(role.at("/metadata/name").asText(), binding.at("/roleRef/name").asText());
        assertBindsOperatorServiceAccount(chart, binding);
    }

    @Test
    void modelCacheAndScratchSizeReachTheOperator() {
        Map<String, String> env = RenderedChart.render("""
                modelCache: {claimName: shared-models, hostPath: /var/cache/kubelora}
                scratchSize: 120Gi
                """, work).operatorEnv();
        assertEquals("shared-models", env.get("KUBELORA_MODEL_CACHE_CLAIM"));
        assertEquals("/var/cache/kubelora", env.get("KUBELORA_MODEL_CACHE_HOST_PATH"));
        assertEquals("120Gi", env.get("KUBELORA_SCRATCH_SIZE"));
        assertEquals("", RenderedChart.render("scratchSize: \"\"", work).operatorEnv().get("KUBELORA_SCRATCH_SIZE"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "gpuResourceName: 5",
            "gpuResourceName: gpu",
            "modelCache: {claimName: Shared_Models}",
            "modelCache: {hostPath: relative/folder}",
            "scratchSize: lots",
            "replicaCount: -1",
            "clusterWide: \"yes\"",
            "watchNamespaces: team-a",
            "watchNamespaces: [Team_A]",
            "operator: {image: {repository: x, pullPolicy: Sometimes}}",
            "storage: {endpoint: minio:9000}",
            "serviceMonitor: {enabled: true, interval: often}",
            "unknownSetting: true",
            "trainer: {image: {repository: x}, imagePullSecrets: [Registry_ML]}",
            "trainer: {image: {repository: x}, imagePullSecrets: registry-ml}",
            "admissionPolicy: {enabled: maybe}",
            "admissionPolicy: {enabled: true, failurePolicy: Ignore}",
            "rbac: {aggregateToDefaultRoles: 1}"})
    void valuesSchemaRejectsBadValues(String values) {
        Exception e = assertThrows(Exception.class, () -> RenderedChart.render(values, work), values);
        assertTrue(String.valueOf(e.getMessage()).contains("values don't meet the specifications of the schema"),
                values + ": " + e.getMessage());
    }

    private static void assertExactRules(JsonNode role) {
        assertEquals(OperatorRbac.EXPECTED, OperatorRbac.grants(role), "rules of " + role.at("/metadata/name").asText());
    }

    static void assertBindsOperatorServiceAccount(RenderedChart chart, JsonNode binding) {
        JsonNode account = chart.one("ServiceAccount");
        JsonNode subjects = binding.path("subjects");
        assertEquals(1, subjects.size(), subjects.toString());
        assertEquals("ServiceAccount", subjects.at("/0/kind").asText());
        assertEquals(account.at("/metadata/name").asText(), subjects.at("/0/name").asText());
        assertEquals(RenderedChart.NAMESPACE, subjects.at("/0/namespace").asText());
        String deploymentAccount = chart.one("Deployment").at("/spec/template/spec/serviceAccountName").asText();
        assertEquals(account.at("/metadata/name").asText(), deploymentAccount);
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
