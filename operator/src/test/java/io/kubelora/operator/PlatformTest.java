package io.kubelora.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Phase;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.platform.FineTunePolicy;
import io.kubelora.api.platform.FineTuneProfile;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.resources.TrainerConfigMap;
import io.kubelora.operator.status.Conditions;
import io.kubelora.operator.status.RunStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the operator enforces for platform teams, on resources applied as written (the mock API server, like kubectl,
 * keeps a run's spec without the model's defaults): profiles make the effective spec, policies refuse runs with an
 * Event and no Job, maxConcurrentRuns holds runs back until a place frees up. Each test has its own namespace.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class PlatformTest extends OperatorTestSupport {

    private static final String PROFILE = """
            apiVersion: kubelora.io/v1alpha1
            kind: FineTuneProfile
            metadata: {name: %s}
            spec:
              gpuMemory: 80Gi
              queueName: gpu-a100
              imagePullSecrets: [registry-ml]
              locked: [spec.image, spec.resources]
              template:
                image: registry.example/ml/trainer:2.0
                quantization: nf4
                lora: {rank: 32}
                resources: {gpus: 1, memory: 64Gi}
            """;

    private String namespace = Runs.NAMESPACE;

    @Override
    String namespace() {
        return namespace;
    }

    /** A user with access to a Secret they may not read runs their own image with it: refused, no Job. */
    @Test
    void aCustomImageWithASecretThePolicyDoesNotAllowIsRefused() {
        namespace = "team-exfiltration";
        apply(FineTunePolicy.class, policy("team-a", "allowedSecrets: [s3-credentials]"));
        apply(LoraFineTune.class, run("steal", """
                image: attacker.example/dump-env:latest
                credentials: {storageSecretName: database-admin}
                """));
        LoraFineTuneStatus status = awaitStatus("steal", s -> s.phase() == Phase.Failed);
        assertEquals(RunStatus.POLICY_VIOLATION, Conditions.find(status.conditions(), Conditions.READY).getReason());
        assertTrue(status.message().contains("spec.image: 'attacker.example/dump-env:latest' is not allowed by "
                + "FineTunePolicy team-a (allowedImages: none, only the default trainer image)"), status.message());
        assertTrue(status.message().contains("spec.credentials.storageSecretName: 'database-admin' is not allowed by "
                + "FineTunePolicy team-a (allowedSecrets: s3-credentials)"), status.message());
        Event event = awaitEvent("steal", RunStatus.POLICY_VIOLATION);
        assertEquals("Warning", event.getType());
        assertTrue(event.getMessage().contains("database-admin"), event.getMessage());
        assertNull(job("steal"), "no Job for a refused run");
        assertNull(configMap("steal"), "no ConfigMap for a refused run");
    }

    @Test
    void aRunOfAProfileRunsItsEffectiveSpec() {
        namespace = "team-profile";
        HasMetadata profile = apply(FineTuneProfile.class, PROFILE.formatted("qlora-a100"));
        apply(LoraFineTune.class, run("support-bot", "profile: qlora-a100\nlora: {rank: 8}\n"));
        Job job = awaitJob("support-bot");
        Container trainer = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("registry.example/ml/trainer:2.0", trainer.getImage());
        assertTrue(trainer.getEnv().contains(new EnvVar(TrainerEnvironment.GPU_MEMORY, "85899345920", null)));
        assertEquals(List.of(new LocalObjectReference("registry-ml")),
                job.getSpec().getTemplate().getSpec().getImagePullSecrets());
        assertEquals("gpu-a100", job.getMetadata().getLabels().get(RunLabels.KUEUE_QUEUE));
        assertTrue(job.getSpec().getSuspend(), "queued for Kueue by the profile's queue");
        LoraFineTuneSpec effective = LoraFineTuneYaml.parse(configMap("support-bot").getData()
                .get(TrainerConfigMap.KEY), "config").getSpec();
        assertNull(effective.profile(), "the trainer gets the effective spec");
        assertEquals(8, effective.lora().rank(), "the run's own rank");
        assertEquals("nf4", effective.quantization().toString().toLowerCase(), "the template's quantization");
        LoraFineTuneStatus status = awaitStatus("support-bot", s -> s.profile() != null
                && "Queued".equals(RunStatus.reason(s)));
        assertEquals(new ProfileReference("qlora-a100", profile.getMetadata().getResourceVersion()), status.profile());
        assertTrue(status.message().contains("gpu-a100"), status.message());
    }

    @Test
    void aRunSettingALockedPathOrUsingAnUnknownProfileDoesNotStart() {
        namespace = "team-locked";
        apply(FineTuneProfile.class, PROFILE.formatted("locked-a100"));
        apply(LoraFineTune.class, run("more-gpus", "profile: locked-a100\nresources: {gpus: 4}\n"));
        LoraFineTuneStatus locked = awaitStatus("more-gpus", s -> s.phase() == Phase.Failed);
        assertTrue(locked.message().contains("spec.resources: is locked by FineTuneProfile locked-a100"),
                locked.message());
        assertNull(job("more-gpus"));

        apply(LoraFineTune.class, run("early", "profile: not-yet\n"));
        LoraFineTuneStatus waiting = awaitStatus("early", s -> s.phase() == Phase.Pending);
        assertEquals(RunStarter.PROFILE_NOT_FOUND, RunStatus.reason(waiting));
        assertTrue(Conditions.isTrue(waiting.conditions(), Conditions.STALLED));
        apply(FineTuneProfile.class, PROFILE.formatted("not-yet"));
        touch("early"); // or the next look, a pendingRecheck later
        assertEquals("registry.example/ml/trainer:2.0", awaitJob("early").getSpec().getTemplate().getSpec()
                .getContainers().get(0).getImage());
    }

    @Test
    void runsOverMaxConcurrentRunsWaitForAPlace() {
        namespace = "team-quota";
        apply(FineTunePolicy.class, policy("one-at-a-time", "maxConcurrentRuns: 1"));
        apply(LoraFineTune.class, run("first", ""));
        Job first = awaitJob("first");
        apply(LoraFineTune.class, run("second", ""));
        LoraFineTuneStatus waiting = awaitStatus("second", s -> RunStarter.WAITING_FOR_QUOTA.equals(
                RunStatus.reason(s)));
        assertEquals(Phase.Pending, waiting.phase());
        assertTrue(waiting.message().contains("maxConcurrentRuns: 1"), waiting.message());
        assertNull(job("second"));
        awaitEvent("second", RunStarter.WAITING_FOR_QUOTA);

        putJobStatus(ClusterFixtures.finished(first, "Complete", "CompletionsReached", "done"));
        // The first Job's change wakes the waiting run at once: far sooner than its pendingRecheck of 30 s.
        Job second = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> job("second"), j -> j != null);
        assertEquals("second", second.getMetadata().getName());
        awaitStatus("second", s -> "Starting".equals(RunStatus.reason(s)));
    }

    private static String policy(String name, String spec) {
        return "apiVersion: kubelora.io/v1alpha1\nkind: FineTunePolicy\nmetadata: {name: " + name + "}\nspec:\n  "
                + spec + "\n";
    }

    private static String run(String name, String spec) {
        return """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata: {name: %s}
                spec:
                  baseModel: {uri: 'hf://meta-llama/Llama-3.1-8B'}
                  dataset: {uri: 's3://team-data/support.jsonl'}
                  output: {uri: 's3://team-runs/out'}
                """.formatted(name) + spec.indent(2);
    }

    /** Creates a resource as written, as kubectl apply would (no defaults filled in by the Java model). */
    private HasMetadata apply(Class<? extends HasMetadata> type, String yaml) {
        GenericKubernetesResource resource = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
        var resources = client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(type));
        return type == FineTuneProfile.class ? resources.resource(resource).create()
                : resources.inNamespace(namespace).resource(resource).create();
    }

    /** Any change makes the operator look at a run again. */
    private void touch(String name) {
        client.resources(LoraFineTune.class).inNamespace(namespace).withName(name).edit(r -> {
            r.getMetadata().setLabels(Map.of("touched", "yes"));
            return r;
        });
    }
}
