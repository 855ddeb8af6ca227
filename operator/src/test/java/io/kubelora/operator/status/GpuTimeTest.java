package io.kubelora.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.kubelora.operator.ClusterFixtures;
import io.kubelora.operator.Runs;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GPU seconds counted forward over the pods of a run's Job, retried and vanished ones included. */
class GpuTimeTest {

    private final Job job = ClusterFixtures.job(Runs.full("gpu-time")); // 2 GPUs per pod
    private final Pod failed = ended(pod("10:00:00"), "10:30:00");
    private final Pod retry = pod("10:31:00");

    @Test
    void everyPodOfTheJobCountsItsGpusTimesItsTime() {
        GpuTime.Usage usage = GpuTime.next(new GpuTime.Usage(null, null), List.of(failed, retry), at("11:00:00"));
        assertEquals(new GpuTime.Usage(2L * 1800 + 2L * 1740, "2026-01-01T11:00:00Z"), usage);
    }

    @Test
    void aRunningPodIsWrittenOnceAMinuteAndAnEndedOneAtOnce() {
        GpuTime.Usage first = GpuTime.next(new GpuTime.Usage(null, null), List.of(failed, retry), at("11:00:00"));
        assertSame(first, GpuTime.next(first, List.of(failed, retry), at("11:00:30")), "less than a minute");
        GpuTime.Usage later = GpuTime.next(first, List.of(failed, retry), at("11:05:00"));
        assertEquals(first.seconds() + 2 * 300, later.seconds());
        // The failed pod is gone (deleted): its time stays counted, the retry's goes on.
        GpuTime.Usage gone = GpuTime.next(later, List.of(retry), at("11:06:00"));
        assertEquals(later.seconds() + 2 * 60, gone.seconds());
        // The retry ends: written within the minute, to its end, and never again.
        Pod done = ended(retry, "11:06:20");
        GpuTime.Usage end = GpuTime.next(gone, List.of(done), at("11:06:30"));
        assertEquals(new GpuTime.Usage(gone.seconds() + 2 * 20, "2026-01-01T11:06:30Z"), end);
        assertSame(end, GpuTime.next(end, List.of(done), at("12:00:00")));
    }

    @Test
    void aPodOnCpusOnlyOrNotStartedHoldsNoGpu() {
        Pod cpu = new PodBuilder(retry).editSpec().editFirstContainer().editResources()
                .withLimits(Map.of("memory", new Quantity("8Gi"), "cpu", new Quantity("4"))).endResources()
                .endContainer().endSpec().build();
        Pod unscheduled = ClusterFixtures.unschedulable(job, "no GPU node");
        GpuTime.Usage none = new GpuTime.Usage(null, null);
        assertSame(none, GpuTime.next(none, List.of(cpu, unscheduled), at("12:00:00")));
        Pod slice = new PodBuilder(retry).editSpec().editFirstContainer().editResources()
                .withLimits(Map.of("nvidia.com/mig-1g.10gb", new Quantity("1"), "memory", new Quantity("8Gi")))
                .endResources().endContainer().endSpec().build();
        assertEquals(1, GpuTime.gpus(slice));
        assertEquals(2, GpuTime.gpus(retry));
    }

    private Pod pod(String start) {
        Pod pod = ClusterFixtures.running(job, "10.0.0.1");
        pod.getMetadata().setName("gpu-time-" + start.replace(":", ""));
        pod.getStatus().setStartTime(at(start).toString());
        return pod;
    }

    private static Pod ended(Pod pod, String end) {
        return new PodBuilder(pod).editStatus().withPhase("Failed").editFirstContainerStatus().withNewState()
                .withNewTerminated().withExitCode(1).withFinishedAt(at(end).toString()).endTerminated().endState()
                .endContainerStatus().endStatus().build();
    }

    private static Instant at(String time) {
        return Instant.parse("2026-01-01T" + time + "Z");
    }
}
