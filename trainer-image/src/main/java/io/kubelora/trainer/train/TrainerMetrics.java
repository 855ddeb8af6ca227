package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.kubelora.api.TrainerMetric;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The trainer's Prometheus endpoint (/metrics). The operator reads these gauges for the LoraFineTune's
 * status.progress, and a PodMonitor can scrape them. The names are the operator contract, {@link TrainerMetric}.
 * Steps, losses and tokens are the run's, over all replicas; GPU memory has one sample per GPU.
 */
public final class TrainerMetrics implements TrainingObserver, AutoCloseable {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Gauge step = gauge(TrainerMetric.STEP);
    private final Gauge totalSteps = gauge(TrainerMetric.TOTAL_STEPS);
    private final Gauge epoch = gauge(TrainerMetric.EPOCH);
    private final Gauge loss = gauge(TrainerMetric.LOSS);
    private final Gauge evalLoss = gauge(TrainerMetric.EVAL_LOSS);
    private final Gauge evalPerplexity = gauge(TrainerMetric.EVAL_PERPLEXITY);
    private final Gauge evalAccuracy = gauge(TrainerMetric.EVAL_ACCURACY);
    private final Gauge bestEvalLoss = gauge(TrainerMetric.BEST_EVAL_LOSS);
    private final Gauge bestEvalStep = gauge(TrainerMetric.BEST_EVAL_STEP);
    private final Gauge learningRate = gauge(TrainerMetric.LEARNING_RATE);
    private final Gauge gradNorm = gauge(TrainerMetric.GRAD_NORM);
    private final Gauge tokensPerSecond = gauge(TrainerMetric.TOKENS_PER_SECOND);
    private final Gauge eta = gauge(TrainerMetric.ETA_SECONDS);
    private final Gauge merging = gauge(TrainerMetric.MERGING);
    private final Gauge gpuMemory = Gauge.builder().name(TrainerMetric.GPU_MEMORY_BYTES.metricName())
            .help(TrainerMetric.GPU_MEMORY_BYTES.help()).labelNames(TrainerMetric.DEVICE_LABEL).register(registry);
    private final Gauge plannedPeak = gauge(TrainerMetric.PLANNED_PEAK_BYTES);
    private final Gauge measuredPeak = gauge(TrainerMetric.PEAK_MEMORY_BYTES);
    private final Gauge weightBytes = gauge(TrainerMetric.WEIGHT_BYTES);
    private final Gauge nf4Bits = gauge(TrainerMetric.NF4_BITS_PER_PARAMETER);
    private final Gauge residentMemory = Gauge.builder().name("process_resident_memory_bytes")
            .help("Resident memory of the process.").register(registry);
    private final Gauge heap = Gauge.builder().name("jvm_memory_heap_used_bytes").help("Used JVM heap.")
            .register(registry);
    private final Counter trainedTokens = Counter.builder().name(TrainerMetric.TRAINED_TOKENS.metricName())
            .help(TrainerMetric.TRAINED_TOKENS.help()).register(registry);
    private final HTTPServer server;
    private final ToLongFunction<Device> gpuMemoryInUse;
    private List<Device> devices = List.of();

    /** Serves /metrics on {@code port}; port 0 picks a free one. */
    public TrainerMetrics(int port) {
        this(port, gpu -> CudaUtils.getGpuMemory(gpu).getUsed());
    }

    /** @param gpuMemoryInUse reads a GPU's memory in use, in bytes */
    TrainerMetrics(int port, ToLongFunction<Device> gpuMemoryInUse) {
        this.gpuMemoryInUse = gpuMemoryInUse;
        try {
            server = HTTPServer.builder().port(port).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on port " + port + ": " + e.getMessage(), e);
        }
        for (Gauge unmeasured : new Gauge[] {evalLoss, evalPerplexity, evalAccuracy, bestEvalLoss, bestEvalStep}) {
            unmeasured.set(Double.NaN);
        }
    }

    private Gauge gauge(TrainerMetric metric) {
        return Gauge.builder().name(metric.metricName()).help(metric.help()).register(registry);
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
            evalPerplexity.set(r.eval().perplexity());
            evalAccuracy.set(r.eval().accuracy());
        }
        if (r.best() != null) {
            bestEvalLoss.set(r.best().loss());
            bestEvalStep.set(r.best().step());
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
    @Override
    public void onStart(RunStart start) {
        devices = start.devices();
        step.set(start.stepsDone());
        totalSteps.set(start.totalSteps());
        refreshProcess();
    }

    /** The run's memory figures, as summary.json has them. */
    @Override
    public void onFinished(RunSummary summary) {
        plannedPeak.set(summary.plannedPeakBytes());
        measuredPeak.set(summary.measuredPeakBytes());
        weightBytes.set(summary.weightBytes());
        nf4Bits.set(summary.nf4BitsPerParameter() == null ? Double.NaN : summary.nf4BitsPerParameter());
        refreshProcess();
    }

    @Override
    public void onPhase(RunPhase phase) {
        merging.set(phase == RunPhase.MERGING ? 1 : 0);
    }

    /** Process memory, and the memory in use on each GPU of the run. */
    private void refreshProcess() {
        residentMemory.set(ProcessMemory.residentBytes());
        heap.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        for (Device device : devices) {
            if (device.isGpu()) {
                gpuMemory.labelValues("cuda:" + device.getDeviceId()).set(gpuMemoryInUse.applyAsLong(device));
            }
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
