package io.kubelora.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Phase;
import io.kubelora.api.TrainingSpec;
import io.kubelora.operator.progress.ProgressScraper;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.resources.TrainerConfigMap;
import io.kubelora.operator.status.Conditions;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class LoraFineTuneReconcilerTest extends OperatorTestSupport {

    /** A finalizer of another controller that keeps a deleted Job until it lets go. */
    private static final String HOLD = "example.com/hold";
    private static final String SUCCESS = "{\"adapterUri\":\"s3://results/done/adapter\",\"finalLoss\":1.23,"
            + "\"steps\":900}";

    @Inject
    OperatorSettings settings;
    @Inject
    RunEvents runEvents;
    @Inject
    RunStarter runStarter;

    private HttpServer trainer;
    private final AtomicReference<String> metrics = new AtomicReference<>("");

    /** The trainer's /metrics, served locally: every pod's endpoint points here. */
    @BeforeEach
    void serveTrainerMetrics() throws Exception {
        trainer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        trainer.createContext("/metrics", exchange -> {
            byte[] body = metrics.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        trainer.start();
        QuarkusMock.installMockForType(localScraper(), ProgressScraper.class);
    }

    @AfterEach
    void stopTrainer() {
        trainer.stop(0);
    }

    private ProgressScraper localScraper() {
        URI local = URI.create("http://127.0.0.1:" + trainer.getAddress().getPort() + "/metrics");
        return new ProgressScraper(settings) {
            @Override
            protected URI endpoint(io.fabric8.kubernetes.api.model.Pod pod) {
                return local;
            }
        };
    }

    @Test
    void validRunGetsItsConfigMapAndJob() {
        LoraFineTune run = create(Runs.full("valid"));
        Job job = awaitJob("valid");
        LoraFineTuneStatus status = awaitStatus("valid", s -> s.phase() == Phase.Pending);
        assertEquals("valid", status.jobName());
        assertEquals("Starting", Conditions.find(status.conditions(), Conditions.READY).getReason());

        OwnerReference owner = job.getMetadata().getOwnerReferences().get(0);
        assertEquals(run.getMetadata().getUid(), owner.getUid());
        assertEquals(LoraFineTune.KIND, owner.getKind());
        assertTrue(owner.getController());
        assertEquals(Map.of(RunLabels.NAME, "kubelora-trainer", RunLabels.INSTANCE, "valid",
                RunLabels.MANAGED_BY, "kubelora-operator", RunLabels.RUN, "valid"), job.getMetadata().getLabels());
        assertEquals(2, job.getSpec().getBackoffLimit());
        assertEquals(7200L, job.getSpec().getActiveDeadlineSeconds());
        assertEquals(3600, job.getSpec().getTtlSecondsAfterFinished());
        assertFalse(job.getSpec().getSuspend());

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertEquals("Never", pod.getRestartPolicy());
        assertEquals("trainer", pod.getServiceAccountName());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser());
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        Container c = pod.getContainers().get(0);
        assertEquals("registry.example/kubelora/trainer:custom", c.getImage());
        assertEquals(List.of("train", "--config", "/etc/kubelora/finetune.yaml", "--metrics-port", "9090"),
                c.getArgs());
        assertEquals(new Quantity("2"), c.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(new Quantity("32Gi"), c.getResources().getLimits().get("memory"));
        assertEquals(new Quantity("32Gi"), c.getResources().getRequests().get("memory"));
        assertEquals(new Quantity("4"), c.getResources().getRequests().get("cpu"));
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertEquals("s3-credentials", c.getEnvFrom().get(0).getSecretRef().getName());
        EnvVar token = c.getEnv().stream().filter(e -> e.getName().equals("HF_TOKEN")).findFirst().orElseThrow();
        assertEquals("hf-token", token.getValueFrom().getSecretKeyRef().getName());
        Map<String, Boolean> claims = pod.getVolumes().stream().filter(v -> v.getName().startsWith("pvc-"))
                .collect(Collectors.toMap(v -> v.getPersistentVolumeClaim().getClaimName(),
                        v -> v.getPersistentVolumeClaim().getReadOnly()));
        assertEquals(Map.of("models", true, "results", false), claims);

        ConfigMap config = configMap("valid");
        assertEquals(run.getMetadata().getUid(), config.getMetadata().getOwnerReferences().get(0).getUid());
        assertEquals("valid-config", pod.getVolumes().get(0).getConfigMap().getName());
        // The trainer reads the document back with the same strict reader.
        assertEquals(config.getData().get(TrainerConfigMap.KEY), TrainerConfigMap.document(get("valid")));
        assertTrue(config.getData().get(TrainerConfigMap.KEY).contains("uri: pvc://models/llama-3.2-1b"));
        awaitEvent("valid", "JobCreated");
    }

    @Test
    void runningTrainerReportsProgressThenTheRunSucceeds() {
        create(Runs.minimal("done"));
        Job job = awaitJob("done");
        metrics.set("kubelora_step 120\nkubelora_total_steps 900\nkubelora_loss 1.81\nkubelora_merging 0\n");
        putPod(ClusterFixtures.running(job, "10.1.2.3"));
        LoraFineTuneStatus running = awaitStatus("done", s -> s.phase() == Phase.Running && s.progress() != null);
        assertEquals("120/900", running.progress().steps());
        assertEquals(1.81, running.progress().loss());
        assertEquals(ClusterFixtures.T0, running.startTime());

        metrics.set("kubelora_step 900\nkubelora_total_steps 900\nkubelora_merging 1\n");
        awaitStatus("done", s -> s.phase() == Phase.Merging);

        succeed(job);
        LoraFineTuneStatus done = awaitStatus("done", s -> s.phase() == Phase.Succeeded);
        assertEquals("s3://results/done/adapter", done.adapterUri());
        assertEquals(ClusterFixtures.T1, done.completionTime());
        assertEquals(1.23, done.progress().loss());
        assertEquals("True", Conditions.find(done.conditions(), Conditions.READY).getStatus());
        awaitEvent("done", "Training");
        awaitEvent("done", "Merging");
        assertEquals("Normal", awaitEvent("done", "Succeeded").getType());
    }

    @Test
    void finishedRunIsNotRunAgainWhenItsJobIsDeleted() {
        List<LoraFineTune> reconciled = recordReconciles();
        create(Runs.minimal("ttl"));
        succeed(awaitJob("ttl"));
        LoraFineTuneStatus done = awaitStatus("ttl", s -> s.phase() == Phase.Succeeded && s.adapterUri() != null);
        expire("ttl");
        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName("ttl").edit(r -> {
            r.getMetadata().setLabels(Map.of("team", "nlp")); // any change makes the operator look again
            return r;
        });
        // A reconcile saw the edit (and so the Job gone) and returned: had it created a Job, it would be there now.
        await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.stream().anyMatch(r -> r.getMetadata().getName()
                .equals("ttl") && "nlp".equals(r.getMetadata().getLabels().get("team"))));
        assertNull(job("ttl"));
        assertEquals(done, get("ttl").getStatus());
    }

    @Test
    void finishedRunWhoseJobWasDeletedRestartsOnRequest() {
        create(Runs.minimal("ttl-restart"));
        Job first = awaitJob("ttl-restart");
        succeed(first);
        awaitStatus("ttl-restart", s -> s.phase() == Phase.Succeeded && s.adapterUri() != null);
        expire("ttl-restart");

        requestRestart("ttl-restart", "1");
        awaitEvent("ttl-restart", "Restarted");
        LoraFineTuneStatus status = awaitStatus("ttl-restart", s -> s.phase() == Phase.Pending);
        Job second = awaitJob("ttl-restart");
        assertNotEquals(first.getMetadata().getUid(), second.getMetadata().getUid());
        assertEquals("1", second.getMetadata().getAnnotations().get(RunLabels.RESTART_ANNOTATION));
        assertNull(status.adapterUri(), "the new run has no result yet");
        assertNull(status.completionTime());
        assertEquals(1, jobsOf("ttl-restart").size());
    }

    /** The old Job's name is taken until the Job is gone (a finalizer can hold it): the new run waits, then starts. */
    @Test
    void restartWaitsForTheOldJobToBeDeleted() {
        create(Runs.minimal("slow-delete"));
        Job first = awaitJob("slow-delete");
        putJobStatus(ClusterFixtures.finished(first, "Failed", "BackoffLimitExceeded", "failed"));
        awaitStatus("slow-delete", s -> s.phase() == Phase.Failed);
        client.batch().v1().jobs().inNamespace(Runs.NAMESPACE).withName("slow-delete").edit(j -> {
            j.getMetadata().setFinalizers(List.of(HOLD));
            return j;
        });

        requestRestart("slow-delete", "1");
        await().atMost(Duration.ofSeconds(10)).until(() -> job("slow-delete").getMetadata().getDeletionTimestamp() != null);
        LoraFineTuneStatus waiting = awaitStatus("slow-delete", s -> s.phase() == Phase.Pending);
        assertTrue(waiting.message().contains("previous training Job"), waiting.message());
        assertEquals(first.getMetadata().getUid(), job("slow-delete").getMetadata().getUid());

        client.batch().v1().jobs().inNamespace(Runs.NAMESPACE).withName("slow-delete").edit(j -> {
            j.getMetadata().setFinalizers(List.of());
            return j;
        });
        Job second = await().atMost(Duration.ofSeconds(15)).until(() -> job("slow-delete"),
                j -> j != null && !j.getMetadata().getUid().equals(first.getMetadata().getUid()));
        assertEquals("1", second.getMetadata().getAnnotations().get(RunLabels.RESTART_ANNOTATION));
        awaitStatus("slow-delete", s -> s.phase() == Phase.Pending && "slow-delete".equals(s.jobName())
                && !s.message().contains("previous training Job"));
        assertEquals(1, events("slow-delete").stream().filter(e -> "Restarted".equals(e.getReason())).count(),
                "one restart, however long the old Job takes to go");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "OOMKilled|BackoffLimitExceeded|terminated|OOMKilled",
        "ImagePullBackOff|DeadlineExceeded|waiting|ImagePullBackOff",
        "ErrImagePull|DeadlineExceeded|waiting|ErrImagePull",
        "Unschedulable|DeadlineExceeded|unschedulable|Unschedulable",
        "DeadlineExceeded|DeadlineExceeded|none|DeadlineExceeded",
        "BackoffLimitExceeded|BackoffLimitExceeded|error|BackoffLimitExceeded"})
    void failedJobSurfacesThePodsReason(String expected, String jobReason, String podState, String podReason) {
        String name = "fail-" + expected.toLowerCase();
        create(Runs.minimal(name));
        Job job = awaitJob(name);
        switch (podState) {
            case "terminated" -> putPod(ClusterFixtures.terminated(job, "Failed", podReason, 137, null));
            case "waiting" -> putPod(ClusterFixtures.waiting(job, podReason, "Back-off pulling image"));
            case "unschedulable" -> putPod(ClusterFixtures.unschedulable(job, "0/4 nodes are available: "
                    + "4 Insufficient nvidia.com/gpu."));
            case "error" -> putPod(ClusterFixtures.terminated(job, "Failed", "Error", 1,
                    "spec.dataset.uri: s3://data/alpaca.jsonl does not exist"));
            default -> {
            }
        }
        if (!podState.equals("terminated") && !podState.equals("error") && !podState.equals("none")) {
            // A pod that cannot start stalls the run before the Job gives up.
            awaitStatus(name, s -> Conditions.isTrue(s.conditions(), Conditions.STALLED)
                    && podReason.equals(Conditions.find(s.conditions(), Conditions.STALLED).getReason()));
            assertEquals(Phase.Pending, get(name).getStatus().phase());
        }
        putJobStatus(ClusterFixtures.finished(job, "Failed", jobReason, "the Job failed: " + jobReason));
        LoraFineTuneStatus failed = awaitStatus(name, s -> s.phase() == Phase.Failed);
        assertEquals(expected, Conditions.find(failed.conditions(), Conditions.STALLED).getReason());
        assertEquals(expected, Conditions.find(failed.conditions(), Conditions.READY).getReason());
        if (podState.equals("error")) {
            assertTrue(failed.message().contains("trainer: spec.dataset.uri: s3://data/alpaca.jsonl does not exist"),
                    failed.message());
        }
        assertNotNull(failed.completionTime());
        assertEquals("Warning", awaitEvent(name, expected).getType());
    }

    @Test
    void suspendAndResume() {
        LoraFineTune run = Runs.minimal("pause");
        run.setSpec(withSuspend(run.getSpec(), true));
        create(run);
        assertTrue(awaitJob("pause").getSpec().getSuspend());
        awaitStatus("pause", s -> s.phase() == Phase.Suspended);

        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName("pause")
                .edit(r -> {
                    r.setSpec(withSuspend(r.getSpec(), false));
                    return r;
                });
        awaitStatus("pause", s -> s.phase() == Phase.Pending);
        assertFalse(job("pause").getSpec().getSuspend());
        awaitEvent("pause", "Suspended");
        awaitEvent("pause", "Starting");

        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName("pause")
                .edit(r -> {
                    r.setSpec(withSuspend(r.getSpec(), true));
                    return r;
                });
        awaitStatus("pause", s -> s.phase() == Phase.Suspended);
        assertTrue(job("pause").getSpec().getSuspend());
        assertFalse(Conditions.isTrue(get("pause").getStatus().conditions(), Conditions.SPEC_CHANGE_IGNORED),
                "suspend is not a change of what is trained");
    }

    @Test
    void queuedRunIsLeftToKueue() {
        LoraFineTune run = Runs.minimal("queued");
        run.getMetadata().setLabels(Map.of(RunLabels.KUEUE_QUEUE, "team-a"));
        create(run);
        Job job = awaitJob("queued");
        assertEquals("team-a", job.getMetadata().getLabels().get(RunLabels.KUEUE_QUEUE));
        assertEquals("team-a", job.getSpec().getTemplate().getMetadata().getLabels().get(RunLabels.KUEUE_QUEUE));
        assertTrue(job.getSpec().getSuspend(), "Kueue admits a Job by resuming it");
        LoraFineTuneStatus status = awaitStatus("queued", s -> s.phase() == Phase.Pending
                && "Queued".equals(Conditions.find(s.conditions(), Conditions.READY).getReason()));
        assertTrue(status.message().contains("team-a"));
        // Kueue admits it.
        client.batch().v1().jobs().inNamespace(Runs.NAMESPACE).withName("queued").edit(j -> {
            j.getSpec().setSuspend(false);
            return j;
        });
        awaitStatus("queued", s -> "Starting".equals(Conditions.find(s.conditions(), Conditions.READY).getReason()));
        assertFalse(job("queued").getSpec().getSuspend());
    }

    @Test
    void aSecondOperatorCreatesNoSecondJob() {
        create(Runs.minimal("twice"));
        Job first = awaitJob("twice");
        awaitStatus("twice", s -> s.jobName() != null);
        // Another operator instance whose cache has not seen the Job yet.
        TrainingRuns other = new TrainingRuns(client, settings, localScraper(), runEvents, runStarter);
        TrainingRuns.Outcome outcome = other.reconcile(get("twice"), null, List.of());
        assertEquals("twice", outcome.status().jobName());
        List<Job> jobs = jobsOf("twice");
        assertEquals(1, jobs.size());
        assertEquals(first.getMetadata().getUid(), jobs.get(0).getMetadata().getUid());
    }

    @Test
    void specChangeAfterStartIsReportedAndTheJobIsKept() {
        create(Runs.minimal("edited"));
        Job before = awaitJob("edited");
        awaitStatus("edited", s -> s.jobName() != null);
        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName("edited").edit(r -> {
            LoraFineTuneSpec s = r.getSpec();
            TrainingSpec t = s.training();
            r.setSpec(s.toBuilder().training(new TrainingSpec(t.epochs() + 2, t.maxSteps(), t.learningRate(),
                    t.batchSize(), t.gradientAccumulationSteps(), t.warmupRatio(), t.lrScheduler(), t.weightDecay(),
                    t.maxGradNorm(), t.seed(), t.precision(), t.gradientCheckpointing(), t.logEverySteps(),
                    t.evalEverySteps(), t.checkpointEverySteps(), t.checkpointsToKeep(), t.resume(), t.earlyStopping(),
                    t.keepBest(), t.memoryCheck(), t.offloadActivations(), t.optimizerOffload())).build());
            return r;
        });
        LoraFineTuneStatus status = awaitStatus("edited",
                s -> Conditions.isTrue(s.conditions(), Conditions.SPEC_CHANGE_IGNORED));
        assertEquals(2L, status.observedGeneration());
        Job after = job("edited");
        assertEquals(before.getMetadata().getUid(), after.getMetadata().getUid());
        assertEquals(before.getSpec(), after.getSpec());
        assertEquals(1, LoraFineTuneYaml.parse(configMap("edited").getData().get(TrainerConfigMap.KEY), "cm")
                .getSpec().training().epochs(), "the run keeps the spec it started with");
        assertEquals("Warning", awaitEvent("edited", Conditions.SPEC_CHANGE_IGNORED).getType());
    }

    @Test
    void restartAnnotationStartsANewRun() {
        create(Runs.minimal("again"));
        Job first = awaitJob("again");
        Job failed = putJobStatus(ClusterFixtures.finished(first, "Failed", "BackoffLimitExceeded", "failed"));
        awaitStatus("again", s -> s.phase() == Phase.Failed);
        assertNotNull(failed);

        requestRestart("again", "1");
        awaitEvent("again", "Restarted");
        LoraFineTuneStatus status = awaitStatus("again", s -> s.phase() == Phase.Pending);
        Job second = job("again");
        assertNotEquals(first.getMetadata().getUid(), second.getMetadata().getUid());
        assertNull(second.getStatus() == null ? null : second.getStatus().getFailed());
        assertEquals("1", second.getMetadata().getAnnotations().get(RunLabels.RESTART_ANNOTATION));
        assertEquals("1", configMap("again").getMetadata().getAnnotations().get(RunLabels.RESTART_ANNOTATION));
        assertNull(status.completionTime());
        assertEquals(1, jobsOf("again").size());
    }

    /** The Job controller and kubelet report a successful training pod and a complete Job. */
    private void succeed(Job job) {
        Job complete = putJobStatus(ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done"));
        putPod(ClusterFixtures.terminated(complete, "Succeeded", "Completed", 0, SUCCESS));
    }

    /** spec.ttlSecondsAfterFinished: the Job controller deletes the finished Job and its pod. */
    private void expire(String name) {
        client.batch().v1().jobs().inNamespace(Runs.NAMESPACE).withName(name).delete();
        client.pods().inNamespace(Runs.NAMESPACE).withLabel(RunLabels.RUN, name).delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> job(name) == null);
    }

    private void requestRestart(String name, String token) {
        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName(name).edit(r -> {
            r.getMetadata().setAnnotations(Map.of(RunLabels.RESTART_ANNOTATION, token));
            return r;
        });
    }

    /** Every run a reconcile was done for, as it was, added when the reconcile returned. */
    private List<LoraFineTune> recordReconciles() {
        List<LoraFineTune> reconciled = new CopyOnWriteArrayList<>();
        QuarkusMock.installMockForType(new TrainingRuns(client, settings, localScraper(), runEvents, runStarter) {
            @Override
            public Outcome reconcile(LoraFineTune run, Job job, List<io.fabric8.kubernetes.api.model.Pod> pods) {
                Outcome outcome = super.reconcile(run, job, pods);
                reconciled.add(run);
                return outcome;
            }
        }, TrainingRuns.class);
        return reconciled;
    }

    private static LoraFineTuneSpec withSuspend(LoraFineTuneSpec s, boolean suspend) {
        return s.toBuilder().suspend(suspend).build();
    }
}
