package io.kubelora.operator.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.kubelora.api.LoraFineTune;
import io.kubelora.operator.LoraFineTuneCrd;
import io.kubelora.operator.Runs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged operator, each its own process in the prod profile (leader election on, with the
 * operator's production settings), against one API server: only the leader reconciles, each run gets exactly
 * one Job, and when the leader stops, by a crash or a graceful shutdown, the standby takes over.
 */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionIT {

    private static final String OPERATOR_NAMESPACE = "kubelora";
    private static final String RUN_NAMESPACE = "team-a";
    private static final String LEASE = "kubelora-operator";
    /** The production lease duration (15 s) plus the standby's retry period (2 s) and slack for a busy machine. */
    private static final Duration CRASH_TAKEOVER = Duration.ofSeconds(30);
    /** A graceful leader hands the Lease over: well below the lease duration. */
    private static final Duration HANDOVER = Duration.ofSeconds(8);
    private static final Duration STARTUP = Duration.ofSeconds(60);

    static KubernetesMockServer server;
    static KubernetesClient client;

    private final List<OperatorProcess> replicas = new java.util.ArrayList<>();

    @BeforeEach
    void cluster() {
        LoraFineTuneCrd.install(client);
        for (String namespace : List.of(OPERATOR_NAMESPACE, RUN_NAMESPACE)) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                    .build()).create();
        }
        // The chart's RBAC: no right to read CRDs (cluster-scoped), leases in the operator's namespace.
        server.expect().get()
                .withPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/lorafinetunes.kubelora.io")
                .andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                        + "\"reason\":\"Forbidden\",\"code\":403}")
                .always();
        // The SDK checks that it may use the Lease before it competes for it; the chart's Role grants this.
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus().addNewResourceRule()
                        .withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "create", "update").endResourceRule().withIncomplete(false)
                        .endStatus().build())
                .always();
    }

    @AfterEach
    void stopReplicas() throws InterruptedException {
        for (OperatorProcess replica : replicas) {
            replica.close();
        }
    }

    @Test
    void onlyTheLeaderReconcilesAndAStandbyTakesOverWhenItStops() throws Exception {
        OperatorProcess a = replica("operator-a");
        awaitLeader(a, STARTUP);
        OperatorProcess b = replica("operator-b");
        await().atMost(STARTUP).until(() -> b.log().contains("leader of the KubeLoRA operator: operator-a"));

        createRun("first");
        Job first = awaitJob("first");
        // Give the standby every chance to act on the run, as it would without leader election.
        Thread.sleep(3000);
        assertEquals(Set.of("operator-a"), reporters("first"), "only the leader acts on a run");
        assertEquals(1, jobs().size(), "one Job per run: " + jobs());

        a.kill(); // the leader's node is gone: the standby waits for the Lease to run out
        awaitLeader(b, CRASH_TAKEOVER);
        createRun("second");
        awaitJob("second");
        await().atMost(Duration.ofSeconds(10)).until(() -> reporters("second").equals(Set.of("operator-b")));
        assertEquals(first.getMetadata().getUid(), job("first").getMetadata().getUid(),
                "the new leader keeps the first run's Job");
        assertEquals(2, jobs().size(), "one Job per run: " + jobs());

        OperatorProcess c = replica("operator-c");
        await().atMost(STARTUP).until(() -> c.log().contains("leader of the KubeLoRA operator: operator-b"));
        long stopped = System.nanoTime();
        assertTrue(b.terminate(Duration.ofSeconds(15)), "the leader did not exit on SIGTERM:\n" + b.log());
        awaitLeader(c, HANDOVER.minus(Duration.ofNanos(System.nanoTime() - stopped)));
        createRun("third");
        awaitJob("third");
        await().atMost(Duration.ofSeconds(10)).until(() -> reporters("third").equals(Set.of("operator-c")));
        assertEquals(3, jobs().size(), "one Job per run: " + jobs());
    }

    private OperatorProcess replica(String name) throws Exception {
        OperatorProcess replica = OperatorProcess.start(name, client.getMasterUrl().toString(), Map.of(
                // As the chart's Deployment sets them for a release in namespace kubelora watching team-a.
                "POD_NAMESPACE", OPERATOR_NAMESPACE,
                "KUBELORA_LEASE_NAME", LEASE,
                "KUBELORA_TRAINER_IMAGE", "registry.example/kubelora/trainer:1.0",
                "KUBELORA_GPU_RESOURCE_NAME", "nvidia.com/gpu",
                "QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES", RUN_NAMESPACE),
                Path.of("target", "leader-election-it"));
        replicas.add(replica);
        return replica;
    }

    private void awaitLeader(OperatorProcess replica, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertTrue(replica.isAlive(), replica.name() + " exited:\n" + replica.log());
            Lease lease = client.leases().inNamespace(OPERATOR_NAMESPACE).withName(LEASE).get();
            return lease != null && replica.name().equals(lease.getSpec().getHolderIdentity());
        });
    }

    private void createRun(String name) {
        LoraFineTune run = Runs.minimal(name);
        run.getMetadata().setNamespace(RUN_NAMESPACE);
        run.getMetadata().setUid(null);
        client.resources(LoraFineTune.class).inNamespace(RUN_NAMESPACE).resource(run).create();
    }

    private Job awaitJob(String name) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> job(name), Objects::nonNull);
    }

    private Job job(String name) {
        return client.batch().v1().jobs().inNamespace(RUN_NAMESPACE).withName(name).get();
    }

    private List<String> jobs() {
        return client.batch().v1().jobs().inNamespace(RUN_NAMESPACE).list().getItems().stream()
                .map(j -> j.getMetadata().getName()).sorted().toList();
    }

    /** The replicas that recorded Events on the run. */
    private Set<String> reporters(String run) {
        return client.v1().events().inNamespace(RUN_NAMESPACE).list().getItems().stream()
                .filter(e -> run.equals(e.getInvolvedObject().getName()))
                .map(Event::getReportingInstance).collect(Collectors.toSet());
    }
}
