package io.kubelora.operator;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Replaces the SDK's default reconciliation metrics, which tag series with each resource's name and
 * namespace (one series per LoraFineTune, unbounded), with the per-controller ones only: reconciliations,
 * failures, retries and execution times on /q/metrics.
 */
public class OperatorMetricsProducer {

    @Produces
    @Singleton
    Metrics reconcileMetrics(MeterRegistry registry) {
        return MicrometerMetrics.withoutPerResourceMetrics(registry);
    }
}
