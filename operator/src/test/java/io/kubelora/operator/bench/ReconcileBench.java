package io.kubelora.operator.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.Phase;
import io.kubelora.operator.ClusterFixtures;
import io.kubelora.operator.LoraFineTuneCrd;
import io.kubelora.operator.RunMetrics;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Scale of the operator against the mock API server: creates N LoraFineTunes at once (default 1,000), times
 * each from its create call to its Job appearing, then completes every Job and counts the status patches a
 * run costs from creation to Succeeded. Not part of the test suite (the name matches no test pattern); run:
 *
 * <pre>
 * mvn -B -pl operator test -Dtest=ReconcileBench -Dsurefire.failIfNoSpecifiedTests=false [-Dkubelora.bench.runs=1000]
 * </pre>
 *
 * Figures are printed and written to operator/target/bench/reconcile.txt. The heap figure is of the whole
 * test JVM, which also holds the mock server's copies of every object, so it bounds the operator's from above.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class ReconcileBench {

    private static final String NAMESPACE = "bench";

    @Inject
    KubernetesClient client;
    @Inject
    RunMetrics metrics;

    @Test
    void bench() throws Exception {
        int runs = Integer.getInteger("kubelora.bench.runs", 1000);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        double patchesBefore = metrics.statusPatches();

        Map<String, Long> created = new ConcurrentHashMap<>();
        Map<String, Long> jobSeen = new ConcurrentHashMap<>();
        SharedIndexInformer<Job> jobs = client.batch().v1().jobs().inNamespace(NAMESPACE)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Job job) {
                        jobSeen.putIfAbsent(job.getMetadata().getName(), System.nanoTime());
                    }

                    @Override
                    public void onUpdate(Job before, Job after) {
                    }

                    @Override
                    public void onDelete(Job job, boolean unknown) {
                    }
                });
        long start = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            String name = "bench-" + i;
            LoraFineTune run = new LoraFineTune();
            run.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build());
            run.setSpec(LoraFineTuneSpec.of("hf://meta-llama/Llama-3.2-1B", "s3://data/alpaca.jsonl",
                    "s3://results/" + name));
            created.put(name, System.nanoTime());
            client.resources(LoraFineTune.class).inNamespace(NAMESPACE).resource(run).create();
        }
        long createdAll = System.nanoTime();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> jobSeen.size() >= runs);
        long jobsAll = System.nanoTime();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500))
                .until(() -> countPhase(Phase.Pending) >= runs);
        double patchesToPending = metrics.statusPatches() - patchesBefore;

        for (int i = 0; i < runs; i++) {
            Job job = client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bench-" + i).get();
            Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
            job.setStatus(done.getStatus());
            client.batch().v1().jobs().inNamespace(NAMESPACE).resource(job).updateStatus();
        }
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500))
                .until(() -> countPhase(Phase.Succeeded) >= runs);
        long succeededAll = System.nanoTime();
        double patchesTotal = metrics.statusPatches() - patchesBefore;
        jobs.close();
        // Let the last reconciles end, then measure what stays.
        Thread.sleep(2000);
        System.gc();
        long heapAfter = memory.getHeapMemoryUsage().getUsed();

        List<Double> latenciesMs = new ArrayList<>(runs);
        created.forEach((name, t0) -> latenciesMs.add((jobSeen.get(name) - t0) / 1e6));
        Collections.sort(latenciesMs);
        String report = String.format(Locale.ROOT, """
                runs                                 %d
                create calls, all runs               %.2f s
                create -> Job created  p50           %.1f ms
                create -> Job created  p99           %.1f ms
                create -> Job created  max           %.1f ms
                first create -> last Job             %.2f s
                first create -> all Succeeded        %.2f s
                status patches per run, to Pending   %.2f
                status patches per run, to Succeeded %.2f
                heap used after GC, before runs      %d MiB
                heap used after GC, after runs       %d MiB (includes the mock server's objects)
                """, runs, (createdAll - start) / 1e9, percentile(latenciesMs, 0.50),
                percentile(latenciesMs, 0.99), latenciesMs.get(latenciesMs.size() - 1), (jobsAll - start) / 1e9,
                (succeededAll - start) / 1e9, patchesToPending / runs, patchesTotal / runs,
                heapBefore >> 20, heapAfter >> 20);
        System.out.println(report);
        Path out = Path.of("target", "bench", "reconcile.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
    }

    private long countPhase(Phase phase) {
        return client.resources(LoraFineTune.class).inNamespace(NAMESPACE).list().getItems().stream()
                .filter(r -> r.getStatus() != null && r.getStatus().phase() == phase).count();
    }

    private static double percentile(List<Double> sorted, double p) {
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
