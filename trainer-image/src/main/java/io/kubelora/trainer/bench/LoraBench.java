package io.kubelora.trainer.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.GpuMemory;
import io.kubelora.trainer.device.LibtorchBuild;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanSettings;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.LossSum;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.parallel.Replica;
import io.kubelora.trainer.parallel.Replicas;
import io.kubelora.trainer.train.AdamW;
import io.kubelora.trainer.train.ProcessMemory;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training benchmark of bench/README.md: a model of the given shape with random weights made on the device,
 * LoRA (or QLoRA) adapters, and {@code warmup + steps} steps on one fixed batch of random tokens per replica. A step
 * is forward and backward, clipping to global norm 1.0, one AdamW step (lr 1e-4, no weight decay) and zeroing the
 * gradients; with several replicas each runs its own batch, and the step includes the training loop's all-reduce
 * (gradients summed into the first replica, its weights copied back). It is timed from the host and ends with a read
 * of a parameter of every replica, which waits for the devices to finish. The replicas' random weights are drawn
 * from libtorch's generators at the same time: on the CPU, whose generator they share, they differ between
 * replicas, which changes no figure but the loss.
 */
final class LoraBench {

    private static final double LEARNING_RATE = 1e-4;
    private static final double MAX_GRAD_NORM = 1.0;

    private LoraBench() {
    }

    static BenchReport run(BenchSettings s, PrintWriter progress) {
        ComputeDevice chosen = ComputeDevice.choose(s.device());
        progress.println(chosen.logLine(s.precision() + (s.nf4() ? " over NF4 base weights" : "")));
        List<GpuMemory> gpuMemory = new ArrayList<>();
        for (Device device : chosen.devices()) {
            if (device.isGpu()) {
                GpuMemory.watch(device.getDeviceId(), System.getenv()).ifPresent(gpuMemory::add);
            }
        }
        Engine.getInstance().setRandomSeed((int) s.seed());
        PeftAdapterConfig lora = new PeftAdapterConfig(null, s.rank(), s.alpha(), s.dropout(), s.targets(), false);
        MemoryPlan plan = MemoryPlan.of(s.config(), new PlanSettings(options(s, chosen.device()), s.rank(), s.targets(),
                s.dropout(), s.batch(), s.seq(), 1, s.optimizerOffload(), chosen.replicas()));
        long built = System.nanoTime();
        try (Replicas replicas = Replicas.load(chosen.devices(), device -> replica(s, device, lora));
             AdamW optimizer = new AdamW(replicas.first().adapters().parameters(), 0.0,
                     replicas.first().model().manager(), s.optimizerOffload())) {
            long trainable = replicas.first().model().trainableParameterCount();
            long expected = s.config().loraParameterCount(s.rank(), s.targets());
            if (trainable != expected) {
                throw new IllegalStateException("the model has " + trainable + " trainable parameters, the LoRA "
                        + "formula says " + expected);
            }
            progress.printf(Locale.ROOT, "%s: %,d parameters, %,d trainable, %d replica(s)%s made in %.1f s%n",
                    s.shape(), s.config().parameterCount() + trainable, trainable, replicas.size(),
                    replicas.cpuThreadsEach() > 0 ? " of " + replicas.cpuThreadsEach() + " CPU thread(s) each," : "",
                    (System.nanoTime() - built) / 1e9);
            List<Batch> batches = new ArrayList<>();
            long targets = 0;
            for (int r = 0; r < replicas.size(); r++) {
                batches.add(Batch.randomTokens(s.batch(), s.seq(), s.config().vocabSize(), s.seed() + r));
                targets += batches.get(r).targetTokens();
            }
            gpuMemory.forEach(GpuMemory::resetPeaks);
            double[] seconds = new double[s.steps()];
            double[] cpuSeconds = new double[s.steps()];
            double[] losses = new double[s.warmup() + s.steps()];
            for (int step = 0; step < s.warmup() + s.steps(); step++) {
                long start = System.nanoTime();
                long cpuStart = cpuNanos();
                LossSum loss = replicas.forwardBackward(shares(batches, step), 1f / targets);
                replicas.sumGradientsIntoFirst();
                double norm = optimizer.gradientNorm();
                optimizer.step(LEARNING_RATE, norm > MAX_GRAD_NORM ? MAX_GRAD_NORM / (norm + 1e-6) : 1.0);
                optimizer.zeroGradients();
                replicas.copyWeightsFromFirst();
                replicas.all().forEach(LoraBench::waitForDevice);
                double elapsed = (System.nanoTime() - start) / 1e9;
                double cpu = (cpuNanos() - cpuStart) / 1e9;
                gpuMemory.forEach(GpuMemory::sample);
                losses[step] = loss.mean();
                if (step >= s.warmup()) {
                    seconds[step - s.warmup()] = elapsed;
                    cpuSeconds[step - s.warmup()] = cpu;
                }
                progress.printf(Locale.ROOT, "step %d/%d: loss %.4f, %.1f ms, CPU %.1f ms%s%n", step + 1,
                        s.warmup() + s.steps(), losses[step], elapsed * 1000, cpu * 1000,
                        step < s.warmup() ? " (warmup)" : "");
                progress.flush();
            }
            if (replicas.size() > 1 || !chosen.device().isGpu()) {
                double tokens = (double) replicas.size() * s.batch() * s.seq();
                progress.printf(Locale.ROOT, "%d replica(s): %.0f tokens/s, %.0f per replica; process CPU time "
                                + "%.1f ms per step (median), %.0f tokens per CPU second%n", replicas.size(),
                        tokens / median(seconds), tokens / median(seconds) / replicas.size(), median(cpuSeconds) * 1000,
                        tokens / median(cpuSeconds));
            }
            BenchReport report = report(s, chosen, gpuMemory, seconds, losses, progress);
            progress.println(planned(plan, report));
            return report;
        }
    }

    /** One replica of the benchmark's model: random weights on {@code device}, fresh adapters. */
    private static Replica replica(BenchSettings s, Device device, PeftAdapterConfig lora) {
        CausalLm model = CausalLm.random(s.config(), options(s, device));
        try {
            return new Replica(model, LoraAdapters.attach(model, lora, s.seed()));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** How the benchmark's model computes on {@code device}. */
    private static ModelOptions options(BenchSettings s, Device device) {
        ModelOptions options = ModelOptions.on(device).withBf16Compute(s.bf16())
                .withGradientCheckpointing(s.checkpointing()).withOffloadActivations(s.offloadActivations())
                .withEmbeddingOnHost(device.isGpu()).withSeed(s.seed());
        return s.nf4() ? options.withNf4(true) : options;
    }

    /** Each replica's fixed batch, its rows keyed by the step so that dropout draws new masks every step. */
    private static List<List<Batch>> shares(List<Batch> batches, int step) {
        List<List<Batch>> shares = new ArrayList<>();
        for (int r = 0; r < batches.size(); r++) {
            Batch batch = batches.get(r);
            long[] keys = new long[batch.batchSize()];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = ((long) step * batches.size() + r) * batch.batchSize() + i;
            }
            shares.add(List.of(batch.withRowKeys(keys)));
        }
        return shares;
    }

    private static BenchReport report(BenchSettings s, ComputeDevice chosen, List<GpuMemory> gpuMemory,
                                      double[] seconds, double[] losses, PrintWriter progress) {
        double step = median(seconds);
        double tokensPerSecond = (double) chosen.replicas() * s.batch() * s.seq() / step;
        long flopsPerToken = FlopCount.of(s.config(), s.seq(), s.rank(), s.targets()).perToken();
        double achieved = tokensPerSecond * flopsPerToken / 1e12;
        Double peak = chosen.device().isGpu() ? GpuPeaks.bf16TeraFlops(chosen.hardware()) : null;
        Long allocated = null;
        Long reserved = null;
        if (!chosen.device().isGpu()) {
            allocated = ProcessMemory.peakResidentBytes();
        } else if (!gpuMemory.isEmpty()) {
            // The largest device's peaks: every replica holds the same model and batch size.
            for (GpuMemory memory : gpuMemory) {
                GpuMemory.Peaks peaks = memory.peaks();
                progress.println("peak memory: " + peaks.how());
                allocated = max(allocated, peaks.allocated());
                reserved = max(reserved, peaks.reserved());
            }
        } else {
            progress.println("peak memory: unknown, libtorch's CUDA runtime is not among the loaded libraries");
        }
        long lora = s.config().loraParameterCount(s.rank(), s.targets());
        String device = chosen.device().isGpu() ? "cuda:" + chosen.device().getDeviceId() : "cpu";
        return new BenchReport(s, device, chosen.hardware(), chosen.replicas(), step * 1000, tokensPerSecond,
                allocated, reserved, s.config().parameterCount() + lora, lora, flopsPerToken, achieved, peak,
                peak == null ? null : achieved / (peak * chosen.replicas()), losses[0], losses[losses.length - 1],
                versions());
    }

    /** CPU time of the whole process (all replica and libtorch threads) so far. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static Long max(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.max(a, b));
    }

    /**
     * The memory plan beside the measured peak: on a GPU the plan without the CUDA context against the reserved
     * peak above it (what GpuMemory measures), on a CPU the plan's tensors, once per replica, against the peak
     * resident set, which also holds the JVM and libtorch.
     */
    static String planned(MemoryPlan plan, BenchReport report) {
        boolean gpu = report.device().startsWith("cuda");
        // Replicas on the CPU each hold their own tensors in the one process.
        long planned = gpu ? plan.total() - plan.context() : plan.tensorBytes() * report.replicas();
        Long measured = gpu ? report.peakReservedBytes() : report.peakMemoryBytes();
        return String.format(Locale.ROOT, "memory plan: %s %s (peak phase: %s); measured %s%s", ByteSize.gib(planned),
                gpu ? "above the CUDA context, allocator reserve included"
                        : "of tensors" + (report.replicas() > 1 ? " (" + report.replicas() + " replicas)" : ""),
                plan.peakPhase().name(), measured == null ? "unknown" : ByteSize.gib(measured),
                measured == null ? "" : String.format(Locale.ROOT, ", measured / planned %.3f",
                        (double) measured / planned));
    }

    /** Reading one value back waits for everything queued on the replica's device before it. */
    private static void waitForDevice(Replica replica) {
        List<TrainableParameter> parameters = replica.model().trainableParameters();
        try (NDArray first = parameters.get(parameters.size() - 1).array().get(0)) {
            first.getFloat(0);
        }
    }

    private static Map<String, String> versions() {
        LibtorchBuild libtorch = LibtorchBuild.current();
        Map<String, String> versions = new LinkedHashMap<>();
        versions.put("java", System.getProperty("java.version"));
        versions.put("djl", Engine.getDjlVersion());
        versions.put("libtorch", libtorch.version() + " " + (libtorch.cuda() ? "cuda" : "cpu"));
        versions.put("cuda_runtime", libtorch.cudaRuntime() == null ? null
                : libtorch.cudaRuntime().getFileName().toString());
        String kubelora = LoraBench.class.getPackage().getImplementationVersion();
        versions.put("kubelora", kubelora == null ? "development build" : kubelora);
        return versions;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
