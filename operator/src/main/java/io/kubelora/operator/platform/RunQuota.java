package io.kubelora.operator.platform;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.status.RunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * maxConcurrentRuns: a namespace's runs with an unfinished Job at a time. The Jobs are counted from the API server
 * (not a cache that may lag a Job just created) and the count and the creation happen under one lock per
 * namespace, so two runs reconciled at once cannot both take the last place.
 */
@ApplicationScoped
public class RunQuota {

    private static final String TRAINING_JOBS = RunLabels.MANAGED_BY + "=" + RunLabels.OPERATOR + ","
            + RunLabels.NAME + "=" + RunLabels.TRAINER;

    private final KubernetesClient client;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    @Inject
    public RunQuota(KubernetesClient client) {
        this.client = client;
    }

    /**
     * What came of asking for a place.
     *
     * @param started what the start returned, or null when the namespace was at its limit
     * @param others  the other runs of the namespace that had an unfinished Job
     */
    public record Outcome<T>(T started, long others) {
    }

    /** Runs {@code start} if fewer than {@code limit} other runs of the namespace have an unfinished Job. */
    public <T> Outcome<T> startIfBelow(String namespace, String jobName, int limit, Supplier<T> start) {
        synchronized (locks.computeIfAbsent(namespace, n -> new Object())) {
            long others = client.batch().v1().jobs().inNamespace(namespace).withLabelSelector(TRAINING_JOBS).list()
                    .getItems().stream()
                    .filter(job -> !job.getMetadata().getName().equals(jobName))
                    .filter(job -> !RunStatus.isFinished(job))
                    .count();
            return new Outcome<>(others < limit ? start.get() : null, others);
        }
    }
}
