package io.kubelora.operator;

import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.Phase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The operator's own metrics, a fixed number of series whatever the number of runs: runs by phase (counted
 * from the operator's cache of LoraFineTunes when Prometheus scrapes), the status patches written, and GPU
 * seconds by namespace (the growth of the runs' status.gpuSeconds: one series per namespace, none per run).
 */
@ApplicationScoped
public class RunMetrics {

    private final AtomicReference<Cache<LoraFineTune>> runs = new AtomicReference<>();
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter statusPatches;
    private final Counter jobsCreated;
    private final Map<String, Counter> gpuSeconds = new ConcurrentHashMap<>();

    @Inject
    public RunMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Phase phase : Phase.values()) {
            meters.add(Gauge.builder("kubelora.runs", this, m -> m.count(phase))
                    .description("LoraFineTune resources by status phase")
                    .tag("phase", phase.name())
                    .register(registry));
        }
        statusPatches = Counter.builder("kubelora.status.patches")
                .description("Status patches written to LoraFineTune resources").register(registry);
        jobsCreated = Counter.builder("kubelora.jobs.created")
                .description("Training Jobs created").register(registry);
        meters.add(statusPatches);
        meters.add(jobsCreated);
    }

    /**
     * The registry may outlive this bean (a global composite across application restarts): a gauge left
     * there would keep reading this instance's stale cache instead of the next one's.
     */
    @PreDestroy
    void unregister() {
        synchronized (meters) {
            meters.forEach(registry::remove);
        }
    }

    /** The controller's cache of LoraFineTunes, which the phases are counted from. */
    public void countFrom(Cache<LoraFineTune> cache) {
        runs.set(cache);
    }

    public void statusPatched() {
        statusPatches.increment();
    }

    public void jobCreated() {
        jobsCreated.increment();
    }

    /** GPU seconds the runs of a namespace used since their status was last written. */
    public void gpuSecondsUsed(String namespace, long seconds) {
        if (seconds <= 0) {
            return;
        }
        gpuSeconds.computeIfAbsent(namespace, n -> {
            Counter counter = Counter.builder("kubelora.gpu.seconds")
                    .description("GPU seconds of training pods (GPUs times the time they held them), by namespace")
                    .tag("namespace", n).register(registry);
            synchronized (meters) {
                meters.add(counter);
            }
            return counter;
        }).increment(seconds);
    }

    public double statusPatches() {
        return statusPatches.count();
    }

    private double count(Phase phase) {
        Cache<LoraFineTune> cache = runs.get();
        if (cache == null) {
            return 0;
        }
        return cache.list().filter(r -> r.getStatus() != null && r.getStatus().phase() == phase).count();
    }
}
