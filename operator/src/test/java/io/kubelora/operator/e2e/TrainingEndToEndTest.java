package io.kubelora.operator.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Phase;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.operator.LoraFineTuneCrd;
import io.kubelora.operator.status.Conditions;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A LoraFineTune really trains: the operator (running in this test against the mock API server) creates the
 * ConfigMap and Job, {@link LocalKubelet} runs the Job's pod as a local trainer process, the trainer reads
 * its base model and dataset from a real S3 server with the storage Secret's credentials, reports progress
 * on its metrics port, publishes a PEFT adapter, merges it into the base model (spec.merge) and publishes the
 * merged model; the operator follows it to Succeeded and reports both locations. A pod disrupted mid-run
 * (DisruptionTarget, then deleted, as preemption or a node drain does it) is replaced without counting as a
 * failure and the new pod resumes from the checkpoint the trainer wrote on SIGTERM, ending with the loss of an
 * undisturbed run. A malformed dataset ends Failed on its first pod, with the trainer's own message.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class TrainingEndToEndTest {

    /** A namespace of its own: the local kubelet must not run the Jobs other tests leave behind. */
    private static final String NAMESPACE = "e2e";
    private static final String STORAGE_SECRET = "e2e-storage";
    private static final String MODEL_URI = "s3://models/tiny-llama";
    private static final int MAX_STEPS = 24;
    /** Below the merged model's size (about 33 MB in bf16, two 16 MB embedding matrices): it must be sharded. */
    private static final String MAX_SHARD_SIZE = "20MB";
    private static final Duration RUN_LIMIT = Duration.ofSeconds(150);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The run of the first test; the disrupted run must end with its loss. */
    private static final String UNDISTURBED = "e2e-train";

    private static Path work;
    private static S3Server s3;
    private static TrainerDistribution trainer;

    @Inject
    KubernetesClient client;

    private LocalKubelet kubelet;

    /** The S3 server with a tiny base model (made by the trainer itself) and two datasets, one broken. */
    @BeforeAll
    static void startStorage() throws Exception {
        trainer = TrainerDistribution.locate();
        work = Files.createTempDirectory("kubelora-e2e");
        Path buckets = Files.createDirectories(work.resolve("s3"));
        s3 = S3Server.start(buckets, work);
        trainer.initModel(s3.bucket("models").resolve("tiny-llama"), work.resolve("init-model.log"));
        Path data = s3.bucket("data");
        List<String> lines = alpacaLines(48);
        Files.write(data.resolve("train.jsonl"), lines);
        List<String> broken = new ArrayList<>(lines);
        broken.set(2, "{\"instruction\": \"Add the two numbers.\", \"input\": \"2 + 2\", ");
        Files.write(data.resolve("broken.jsonl"), broken);
        s3.bucket("results");
    }

    @AfterAll
    static void stopStorage() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (work != null) {
            // Models, caches and logs of every pod: about 120 MB per run of this class.
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @BeforeEach
    void startKubelet() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata()
                .build()).createOr(n -> n.update());
        Map<String, String> data = s3.secretData().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> Base64.getEncoder().encodeToString(e.getValue().getBytes(StandardCharsets.UTF_8))));
        client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata()
                .withName(STORAGE_SECRET).endMetadata().withData(data).build()).createOr(s -> s.update());
        kubelet = new LocalKubelet(client, trainer, work.resolve("pods"));
        kubelet.start(NAMESPACE);
    }

    @AfterEach
    void stopKubelet() throws Exception {
        kubelet.close();
    }

    @Test
    @Order(1)
    void trainsFromS3AndPublishesThePeftAdapter() throws Exception {
        String name = UNDISTURBED;
        List<LoraFineTuneStatus> seen = new CopyOnWriteArrayList<>();
        try (Watch watch = watchStatus(name, seen)) {
            client.resources(LoraFineTune.class).inNamespace(NAMESPACE)
                    .resource(run(name, "s3://data/train.jsonl", 0)).create();
            LoraFineTuneStatus done = awaitFinal(name);
            assertEquals(Phase.Succeeded, done.phase(), () -> done.message() + "\n" + kubelet.logOf(name));

            // Forward only. Merging shows only when a progress poll falls within the merge (about a second here).
            List<Phase> phases = phases(seen);
            assertTrue(phases.equals(List.of(Phase.Pending, Phase.Running, Phase.Succeeded))
                    || phases.equals(List.of(Phase.Pending, Phase.Running, Phase.Merging, Phase.Succeeded)),
                    "phases seen: " + phases);

            // Progress read from the trainer's metrics port while it ran: it moves forward, and ends at the end.
            List<Long> steps = seen.stream().filter(s -> s.phase() == Phase.Running && s.progress() != null)
                    .map(s -> s.progress().step()).filter(Objects::nonNull).toList();
            assertTrue(steps.stream().distinct().count() >= 2, "step should advance while Running, saw " + steps);
            for (int i = 1; i < steps.size(); i++) {
                assertTrue(steps.get(i) >= steps.get(i - 1), "steps went backwards: " + steps);
            }
            assertTrue(steps.get(steps.size() - 1) <= MAX_STEPS, "steps: " + steps);
            assertEquals(MAX_STEPS, done.progress().step());
            assertEquals(MAX_STEPS, done.progress().totalSteps());
            assertNotNull(done.progress().loss());
            assertTrue(Double.isFinite(done.progress().loss()) && done.progress().loss() > 0, "loss");
            assertTrue(Conditions.isTrue(done.conditions(), Conditions.READY), "Ready: " + done.conditions());
            assertTrue(Conditions.isTrue(done.conditions(), Conditions.MERGED), "Merged: " + done.conditions());
            assertNotNull(done.completionTime());
        }

        LoraFineTuneStatus done = client.resources(LoraFineTune.class).inNamespace(NAMESPACE).withName(name).get()
                .getStatus();
        String adapterUri = done.adapterUri();
        assertNotNull(adapterUri, "adapterUri");
        assertTrue(adapterUri.startsWith("s3://results/" + name + "/"), adapterUri);
        assertPeftAdapter(s3.object(adapterUri));
        CompletionManifests.assertComplete(s3.object(adapterUri));

        String mergedUri = done.mergedModelUri();
        assertEquals(mergedOutput(name), mergedUri);
        CompletionManifests.assertComplete(s3.object(mergedUri));
        assertMergedModel(HfModelFolder.open(s3.object(mergedUri)), HfModelFolder.open(s3.object(MODEL_URI)),
                SafetensorsFile.open(s3.object(adapterUri).resolve("adapter_model.safetensors")));
    }

    @Test
    @Order(2)
    void disruptedPodIsReplacedAndItsSuccessorResumesFromTheCheckpoint() throws Exception {
        double undisturbedLoss = finalLoss(UNDISTURBED);
        String name = "e2e-disrupted";
        client.resources(LoraFineTune.class).inNamespace(NAMESPACE)
                .resource(run(name, "s3://data/train.jsonl", 0)).create();
        // Mid-run: once the trainer logged its first steps, its pod is preempted.
        await().atMost(RUN_LIMIT).pollInterval(Duration.ofMillis(20))
                .until(() -> kubelet.logOf(name).contains("step 2/" + MAX_STEPS));
        Pod first = client.pods().inNamespace(NAMESPACE).withLabel("job-name", name).list().getItems().get(0);
        disrupt(first, "PreemptionByScheduler", "Preempted in order to admit critical pod");

        LoraFineTuneStatus done = awaitFinal(name);
        assertEquals(Phase.Succeeded, done.phase(), () -> done.message() + "\n" + kubelet.logOf(name));
        List<String> logs = kubelet.podLogs(name);
        assertEquals(2, logs.size(), "the disrupted pod is replaced once: " + logs);
        assertFalse(logs.get(0).contains("Adapter written"), "the first pod should be stopped mid-run:\n" + logs.get(0));
        Matcher resumed = Pattern.compile("Resumed from checkpoint step-(\\d+) ").matcher(logs.get(1));
        assertTrue(resumed.find(), "the second pod should resume from a checkpoint:\n" + logs.get(1));
        int step = Integer.parseInt(resumed.group(1));
        assertTrue(step >= 2 && step < MAX_STEPS, "resumed from step " + step);
        Job job = client.batch().v1().jobs().inNamespace(NAMESPACE).withName(name).get();
        assertNull(job.getStatus().getFailed(), "a disruption is not a failure: " + job.getStatus());
        assertEquals(undisturbedLoss, finalLoss(name), 1e-4, "final loss of the disrupted vs the undisturbed run");
        assertEquals(MAX_STEPS, done.progress().step());
    }

    @Test
    @Order(3)
    void malformedDatasetFailsOnItsFirstPodWithTheTrainersMessage() throws Exception {
        String name = "e2e-broken-data";
        // Retries are allowed, but bad data is not something a retry can fix.
        client.resources(LoraFineTune.class).inNamespace(NAMESPACE)
                .resource(run(name, "s3://data/broken.jsonl", 2)).create();
        LoraFineTuneStatus done = awaitFinal(name);

        assertEquals(Phase.Failed, done.phase(), () -> done.message() + "\n" + kubelet.logOf(name));
        assertEquals(1, kubelet.podLogs(name).size(), "no retry of a run with bad data");
        assertTrue(done.message().contains("broken.jsonl:3: invalid JSON"),
                "the status should carry the trainer's message naming the line, was: " + done.message());
        assertTrue(Conditions.isTrue(done.conditions(), Conditions.STALLED), "Stalled: " + done.conditions());
        assertEquals(TrainerExitCode.BAD_DATA.reason(),
                Conditions.find(done.conditions(), Conditions.STALLED).getReason());
        assertFalse(Files.exists(s3.object("s3://results/" + name + "/adapter")), "no adapter for a failed run");
        assertFalse(Files.exists(s3.object(mergedOutput(name))), "no merged model for a failed run");
        assertNull(done.adapterUri());
        assertNull(done.mergedModelUri());
    }

    /** What the scheduler (or the eviction API, or the pod GC on node loss) does to a pod it takes away. */
    private void disrupt(Pod pod, String reason, String message) {
        Pod current = client.pods().inNamespace(NAMESPACE).withName(pod.getMetadata().getName()).get();
        current.getStatus().getConditions().add(new PodConditionBuilder().withType("DisruptionTarget")
                .withStatus("True").withReason(reason).withMessage(message)
                .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build());
        client.pods().inNamespace(NAMESPACE).resource(current).updateStatus();
        client.pods().inNamespace(NAMESPACE).withName(pod.getMetadata().getName()).delete();
    }

    /** final_loss of the run's summary.json in its output. */
    private static double finalLoss(String name) throws IOException {
        Path summary = s3.object("s3://results/" + name + "/summary.json");
        assertTrue(Files.isRegularFile(summary), "no summary of run " + name + " (it runs in an earlier test)");
        return JSON.readTree(summary.toFile()).path("final_loss").asDouble();
    }

    private LoraFineTune run(String name, String datasetUri, int backoffLimit) {
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: %s
                spec:
                  baseModel:
                    uri: %s
                  dataset:
                    uri: %s
                    format: alpaca
                    maxSeqLength: 64
                  lora:
                    rank: 4
                    alpha: 8
                  training:
                    maxSteps: %d
                    batchSize: 4
                    logEverySteps: 2
                    precision: fp32
                  output:
                    uri: s3://results/%s
                  merge:
                    enabled: true
                    dtype: bf16
                    maxShardSize: %s
                    output:
                      uri: %s
                  resources:
                    gpus: 0
                  credentials:
                    storageSecretName: %s
                  backoffLimit: %d
                """.formatted(name, MODEL_URI, datasetUri, MAX_STEPS, name, MAX_SHARD_SIZE, mergedOutput(name),
                STORAGE_SECRET, backoffLimit);
        LoraFineTune run = LoraFineTuneYaml.parse(yaml, name + ".yaml");
        run.getMetadata().setNamespace(NAMESPACE);
        return run;
    }

    private static String mergedOutput(String name) {
        return "s3://results/" + name + "-merged";
    }

    private LoraFineTuneStatus awaitFinal(String name) {
        return await().atMost(RUN_LIMIT).pollInterval(Duration.ofMillis(250))
                .until(() -> client.resources(LoraFineTune.class).inNamespace(NAMESPACE).withName(name).get()
                        .getStatus(), s -> s != null && s.phase() != null && s.phase().isFinal());
    }

    /** Every status the API server holds for the run, in order: each watch event carries one. */
    private Watch watchStatus(String name, List<LoraFineTuneStatus> seen) {
        return client.resources(LoraFineTune.class).inNamespace(NAMESPACE).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, LoraFineTune resource) {
                if (resource.getStatus() != null) {
                    seen.add(resource.getStatus());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // closed at the end of the test
            }
        });
    }

    /** The phases in the order seen, repeats in a row collapsed. */
    private static List<Phase> phases(List<LoraFineTuneStatus> statuses) {
        List<Phase> phases = new ArrayList<>();
        for (LoraFineTuneStatus status : statuses) {
            if (status.phase() != null && (phases.isEmpty() || phases.get(phases.size() - 1) != status.phase())) {
                phases.add(status.phase());
            }
        }
        return phases;
    }

    /** adapter_config.json and adapter_model.safetensors as PEFT writes them (see FORMATS.md). */
    private static void assertPeftAdapter(Path adapter) throws IOException {
        JsonNode config = JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.path("peft_type").asText(), config.toString());
        assertEquals(4, config.path("r").asInt(), config.toString());
        assertEquals(8, config.path("lora_alpha").asInt(), config.toString());

        List<String> keys = List.copyOf(SafetensorsFile.open(adapter.resolve("adapter_model.safetensors")).tensors()
                .keySet());
        List<String> loraA = keys.stream().filter(k -> k.endsWith(".lora_A.weight")).toList();
        assertFalse(loraA.isEmpty(), "no lora_A tensors in " + keys);
        for (String a : loraA) {
            assertTrue(a.startsWith("base_model.model."), a);
            assertTrue(keys.contains(a.replace(".lora_A.weight", ".lora_B.weight")), "no lora_B beside " + a);
        }
    }

    /**
     * The merged model is the base model with the adapter folded in: same tensor names and shapes, bf16 as
     * asked, and (bf16 into bf16) exactly the adapted linears changed, every other tensor copied bit for bit.
     */
    private static void assertMergedModel(HfModelFolder merged, HfModelFolder base, SafetensorsFile adapter)
            throws IOException {
        assertEquals("LlamaForCausalLM", merged.config().path("architectures").path(0).asText(),
                merged.config().toString());
        assertEquals("bfloat16", merged.config().path("torch_dtype").asText(), merged.config().toString());
        assertTrue(merged.sharded(), "maxShardSize " + MAX_SHARD_SIZE + " should split the weights into shards");
        assertEquals(base.tensorNames(), merged.tensorNames());

        // base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight -> model.layers.0.self_attn.q_proj.weight
        Set<String> adapted = adapter.tensors().keySet().stream().filter(k -> k.endsWith(".lora_A.weight"))
                .map(k -> k.substring("base_model.model.".length()).replace(".lora_A.weight", ".weight"))
                .collect(Collectors.toSet());
        assertFalse(adapted.isEmpty(), "no adapted linears in " + adapter.tensors().keySet());
        assertTrue(base.tensorNames().containsAll(adapted), "adapted: " + adapted);
        for (String name : base.tensorNames()) {
            assertEquals("BF16", merged.tensor(name).dtype(), name);
            assertEquals(base.tensor(name).shape(), merged.tensor(name).shape(), name);
            boolean unchanged = Arrays.equals(base.bytes(name), merged.bytes(name));
            assertEquals(!adapted.contains(name), unchanged,
                    name + (adapted.contains(name) ? " is adapted but was not changed by the merge"
                            : " is not adapted but was changed by the merge"));
        }
    }

    /** Small arithmetic tasks in alpaca format. */
    private static List<String> alpacaLines(int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int a = 3 + 7 * i % 50;
            int b = 11 + 5 * i % 40;
            lines.add("{\"instruction\": \"Add the two numbers.\", \"input\": \"" + a + " + " + b
                    + "\", \"output\": \"" + (a + b) + "\"}");
        }
        return lines;
    }
}
