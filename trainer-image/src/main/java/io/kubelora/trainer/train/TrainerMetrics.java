package io.kubelora.trainer.train;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;

/**
 * The trainer's Prometheus endpoint (/metrics). The operator reads these gauges for the LoraFineTune's
 * status.progress, and a PodMonitor can scrape them. Names are part of the operator contract.
 */
public final class TrainerMetrics implements TrainingObserver, AutoCloseable {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Gauge step = gauge("kubelora_step", "Optimizer steps done.");
    private final Gauge totalSteps = gauge("kubelora_total_steps", "Optimizer steps of the whole run.");
    private final Gauge epoch = gauge("kubelora_epoch", "Epochs done, fractional.");
    private final Gauge loss = gauge("kubelora_loss", "Training loss of the last logged step.");
    private final Gauge evalLoss = gauge("kubelora_eval_loss", "Last measured evaluation loss.");
    private final Gauge learningRate = gauge("kubelora_learning_rate", "Learning rate of the last step.");
    private final Gauge gradNorm = gauge("kubelora_grad_norm", "Global gradient norm before clipping.");
    private final Gauge tokensPerSecond = gauge("kubelora_tokens_per_second", "Trained tokens per second.");
    private final Gauge eta = gauge("kubelora_eta_seconds", "Estimated seconds until training ends.");
    private final Gauge merging = gauge("kubelora_merging", "1 while the adapter is merged into the base model.");
    private final Gauge gpuMemory = gauge("kubelora_gpu_memory_bytes", "GPU memory in use by the trainer.");
    private final Gauge residentMemory = gauge("process_resident_memory_bytes", "Resident memory of the process.");
    private final Gauge heap = gauge("jvm_memory_heap_used_bytes", "Used JVM heap.");
    private final Counter trainedTokens = Counter.builder().name("kubelora_trained_tokens")
            .help("Input tokens trained on.").register(registry);
    private final HTTPServer server;

    /** Serves /metrics on {@code port}; port 0 picks a free one. */
    public TrainerMetrics(int port) {
        try {
            server = HTTPServer.builder().port(port).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on port " + port + ": " + e.getMessage(), e);
        }
        evalLoss.set(Double.NaN);
    }

    private Gauge gauge(String name, String help) {
        return Gauge.builder().name(name).help(help).register(registry);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void onReport(StepReport r) {
        step.set(r.step());
        totalSteps.set(r.totalSteps());
        epoch.set(r.epoch());
        loss.set(r.loss());
        if (r.hasEvalLoss()) {
            evalLoss.set(r.evalLoss());
        }
        learningRate.set(r.learningRate());
        gradNorm.set(r.gradNorm());
        tokensPerSecond.set(r.tokensPerSecond());
        eta.set(r.etaSeconds());
        double added = r.trainedTokens() - trainedTokens.get();
        if (added > 0) {
            trainedTokens.inc(added);
        }
        refreshProcess();
    }

    /** Total steps are known before the first step: publish them at once so progress reads 0/N. */
    public void starting(int stepsDone, int total) {
        step.set(stepsDone);
        totalSteps.set(total);
        refreshProcess();
    }

    public void setMerging(boolean active) {
        merging.set(active ? 1 : 0);
    }

    public void setGpuMemory(long bytes) {
        gpuMemory.set(bytes);
    }

    private void refreshProcess() {
        residentMemory.set(ProcessMemory.residentBytes());
        heap.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }

    @Override
    public void close() {
        server.close();
    }
}
