package io.kubelora.operator.progress;

import static io.kubelora.api.TrainerMetric.BEST_EVAL_LOSS;
import static io.kubelora.api.TrainerMetric.BEST_EVAL_STEP;
import static io.kubelora.api.TrainerMetric.EPOCH;
import static io.kubelora.api.TrainerMetric.ETA_SECONDS;
import static io.kubelora.api.TrainerMetric.EVAL_LOSS;
import static io.kubelora.api.TrainerMetric.LOSS;
import static io.kubelora.api.TrainerMetric.MERGING;
import static io.kubelora.api.TrainerMetric.STEP;
import static io.kubelora.api.TrainerMetric.TOKENS_PER_SECOND;
import static io.kubelora.api.TrainerMetric.TOTAL_STEPS;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.kubelora.api.Progress;
import io.kubelora.operator.OperatorSettings;
import io.kubelora.operator.resources.TrainingJob;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Reads a running trainer's progress from its Prometheus endpoint, http://podIP:9090/metrics, at most once per
 * {@code progressInterval} per run. The operator needs no access to pod logs or exec, and training pods need
 * no credentials or RBAC to report progress.
 */
@ApplicationScoped
public class ProgressScraper {

    private static final Logger LOG = Logger.getLogger(ProgressScraper.class);

    private final HttpClient http;
    private final Duration interval;
    private final Duration timeout;
    private final Map<String, Instant> lastRead = new ConcurrentHashMap<>();

    @Inject
    public ProgressScraper(OperatorSettings settings) {
        this.interval = settings.progressInterval();
        this.timeout = settings.progressTimeout();
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * A fresh snapshot of the run's trainer; null when the run was read less than the interval ago, the pod
     * has no IP yet, or the read failed (a trainer still loading its model may not serve metrics yet).
     *
     * @param runKey identifies the run across reconciles, e.g. its uid
     */
    public TrainerSnapshot scrape(String runKey, Pod pod, Instant now) {
        Instant last = lastRead.get(runKey);
        if (last != null && now.isBefore(last.plus(interval))) {
            return null;
        }
        if (pod.getStatus() == null || pod.getStatus().getPodIP() == null) {
            return null;
        }
        lastRead.put(runKey, now);
        // Runs deleted while training never call forget(): drop keys not read for a long time.
        Instant stale = now.minus(interval.multipliedBy(30));
        lastRead.values().removeIf(t -> t.isBefore(stale));
        URI uri = endpoint(pod);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                LOG.debugf("trainer metrics %s answered %d", uri, response.statusCode());
                return null;
            }
            return snapshot(PrometheusText.unlabelledSamples(response.body()));
        } catch (IOException e) {
            LOG.debugf("cannot read trainer metrics %s: %s", uri, e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Stops tracking a run that ended. */
    public void forget(String runKey) {
        lastRead.remove(runKey);
    }

    /** The trainer's metrics URL; tests point it at a local server. */
    protected URI endpoint(Pod pod) {
        String ip = pod.getStatus().getPodIP();
        String host = ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
        return URI.create("http://" + host + ":" + metricsPort(pod) + "/metrics");
    }

    /**
     * The trainer container's port named "metrics" as the pod declares it; {@link TrainingJob#METRICS_PORT}
     * when it declares none. Reading it from the pod keeps the scrape right for a pod whose port differs from
     * the default, such as one run by a local executor that maps ports onto a shared host.
     */
    static int metricsPort(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return TrainingJob.METRICS_PORT;
        }
        return pod.getSpec().getContainers().stream()
                .filter(c -> TrainingJob.CONTAINER.equals(c.getName()) && c.getPorts() != null)
                .flatMap(c -> c.getPorts().stream())
                .filter(p -> TrainingJob.METRICS_PORT_NAME.equals(p.getName()) && p.getContainerPort() != null)
                .map(ContainerPort::getContainerPort)
                .findFirst()
                .orElse(TrainingJob.METRICS_PORT);
    }

    /** The progress gauges as a snapshot; null when the trainer exports none yet. */
    static TrainerSnapshot snapshot(Map<String, Double> samples) {
        Double step = samples.get(STEP.metricName());
        if (step == null) {
            return null;
        }
        Progress progress = new Progress(step.longValue(), asLong(samples.get(TOTAL_STEPS.metricName())), null,
                finite(samples.get(EPOCH.metricName())), finite(samples.get(LOSS.metricName())),
                finite(samples.get(EVAL_LOSS.metricName())), finite(samples.get(BEST_EVAL_LOSS.metricName())),
                asLong(samples.get(BEST_EVAL_STEP.metricName())), finite(samples.get(TOKENS_PER_SECOND.metricName())),
                eta(samples.get(ETA_SECONDS.metricName())), null);
        Double merging = samples.get(MERGING.metricName());
        return new TrainerSnapshot(progress, merging != null && merging >= 1.0);
    }

    private static Long asLong(Double value) {
        return value == null || !Double.isFinite(value) ? null : value.longValue();
    }

    /** NaN (e.g. eval loss before the first evaluation) means "not measured". */
    private static Double finite(Double value) {
        return value == null || !Double.isFinite(value) ? null : value;
    }

    /** 3720 seconds as 1h02m, 125 as 2m05s, 42 as 42s. */
    static String eta(Double seconds) {
        if (seconds == null || !Double.isFinite(seconds) || seconds < 0) {
            return null;
        }
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        if (s >= 60) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}
