package io.kubelora.operator.status;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.kubelora.operator.resources.TrainingJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * GPU seconds of a run: each training pod's GPUs times the time it held them, from its start until its trainer
 * ended (or now), summed over the Job's pods. Pods come and go (a preempted pod is deleted), so the total is
 * counted forward: each update adds the GPU time of the visible pods since the previous update, whose time the
 * status keeps; a pod seen once is counted to its end. Only the time pods were never seen in (the operator down
 * while a pod both started and vanished) is lost.
 */
public final class GpuTime {

    /** How often the count of a running pod is written: a status patch per run and minute at most. */
    static final Duration REFRESH = Duration.ofMinutes(1);
    private static final Set<String> NOT_GPUS = Set.of("cpu", "memory", "ephemeral-storage");

    /** The count and when it was made; both null before any pod started. */
    public record Usage(Long seconds, String observedAt) {
    }

    private GpuTime() {
    }

    /**
     * The usage after this observation: the previous one when nothing new is worth writing (no GPU time since,
     * or less than {@link #REFRESH} of a pod that still runs).
     */
    public static Usage next(Usage previous, List<Pod> pods, Instant now) {
        Instant since = previous.observedAt() == null ? Instant.MIN : Instant.parse(previous.observedAt());
        long added = 0;
        boolean ended = false;
        for (Pod pod : pods) {
            Instant start = time(pod.getStatus() == null ? null : pod.getStatus().getStartTime());
            long gpus = gpus(pod);
            if (start == null || gpus == 0) {
                continue;
            }
            Instant end = end(pod);
            Instant until = end == null || end.isAfter(now) ? now : end;
            Instant from = start.isAfter(since) ? start : since;
            if (until.isAfter(from)) {
                added += gpus * Duration.between(from, until).getSeconds();
            }
            ended |= end != null && end.isAfter(since);
        }
        boolean due = previous.observedAt() == null || ended || !Duration.between(since, now).minus(REFRESH)
                .isNegative();
        if (added == 0 || !due) {
            return previous;
        }
        long total = (previous.seconds() == null ? 0 : previous.seconds()) + added;
        return new Usage(total, RunStatus.rfc3339(now));
    }

    /** The GPUs the trainer container holds: its extended resources (nvidia.com/gpu, a MIG slice, ...). */
    static long gpus(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return 0;
        }
        return pod.getSpec().getContainers().stream().filter(c -> TrainingJob.CONTAINER.equals(c.getName()))
                .map(Container::getResources).filter(Objects::nonNull)
                .map(r -> r.getLimits()).filter(Objects::nonNull)
                .flatMap(limits -> limits.entrySet().stream())
                .filter(e -> !NOT_GPUS.contains(e.getKey()) && !e.getKey().startsWith("hugepages-"))
                .map(Map.Entry::getValue).mapToLong(GpuTime::count).sum();
    }

    /** When the pod gave its GPUs back: its trainer's end, or its last change once it ended without one. */
    private static Instant end(Pod pod) {
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        if (statuses != null) {
            for (ContainerStatus status : statuses) {
                if (TrainingJob.CONTAINER.equals(status.getName()) && status.getState() != null
                        && status.getState().getTerminated() != null) {
                    return time(status.getState().getTerminated().getFinishedAt());
                }
            }
        }
        String phase = pod.getStatus().getPhase();
        if (!"Succeeded".equals(phase) && !"Failed".equals(phase)) {
            return null;
        }
        List<PodCondition> conditions = pod.getStatus().getConditions();
        return conditions == null ? time(pod.getStatus().getStartTime()) : conditions.stream()
                .map(c -> time(c.getLastTransitionTime())).filter(Objects::nonNull).max(Instant::compareTo)
                .orElse(time(pod.getStatus().getStartTime()));
    }

    private static long count(Quantity quantity) {
        return quantity.getNumericalAmount().longValue();
    }

    private static Instant time(String rfc3339) {
        return rfc3339 == null || rfc3339.isBlank() ? null : Instant.parse(rfc3339);
    }
}
