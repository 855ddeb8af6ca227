package io.kubelora.trainer.bench;

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
import io.kubelora.trainer.train.AdamW;
import io.kubelora.trainer.train.ProcessMemory;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The training benchmark of bench/README.md: a model of the given shape with random weights made on the device,
 * LoRA (or QLoRA) adapters, and {@code warmup + steps} steps on one fixed batch of random tokens. A step is forward
 * and backward, clipping to global norm 1.0, one AdamW step (lr 1e-4, no weight decay) and zeroing the gradients;
 * it is timed from the host and ends with a read of a parameter, which waits for the device to finish.
 */
final class LoraBench {

    private static final double LEARNING_RATE = 1e-4;
    private static final double MAX_GRAD_NORM = 1.0;

    private LoraBench() {
    }

    static BenchReport run(BenchSettings s, PrintWriter progress) {
        ComputeDevice chosen = ComputeDevice.choose(s.device());
        progress.println(chosen.logLine(s.precision() + (s.nf4() ? " over NF4 base weights" : "")));
        Optional<GpuMemory> gpuMemory = chosen.device().isGpu()
                ? GpuMemory.watch(chosen.device().getDeviceId(), System.getenv()) : Optional.empty();
        Engine.getInstance().setRandomSeed((int) s.seed());
        ModelOptions options = ModelOptions.on(chosen.device()).withBf16Compute(s.bf16())
                .withGradientCheckpointing(s.checkpointing()).withOffloadActivations(s.offloadActivations())
                .withEmbeddingOnHost(chosen.device().isGpu()).withSeed(s.seed());
        if (s.nf4()) {
            options = options.withNf4(true);
        }
        MemoryPlan plan = MemoryPlan.of(s.config(), new PlanSettings(options, s.rank(), s.targets(), s.dropout(),
                s.batch(), s.seq(), 1, s.optimizerOffload(), 1));
        long built = System.nanoTime();
        try (CausalLm model = CausalLm.random(s.config(), options)) {
            List<TrainableParameter> parameters = LoraAdapters.attach(model,
                    new PeftAdapterConfig(null, s.rank(), s.alpha(), s.dropout(), s.targets(), false), s.seed())
                    .parameters();
            long lora = s.config().loraParameterCount(s.rank(), s.targets());
            if (model.trainableParameterCount() != lora) {
                throw new IllegalStateException("the model has " + model.trainableParameterCount()
                        + " trainable parameters, the LoRA formula says " + lora);
            }
            try (AdamW optimizer = new AdamW(parameters, 0.0, model.manager(), s.optimizerOffload())) {
                progress.printf(Locale.ROOT, "%s: %,d parameters, %,d trainable, made in %.1f s%n", s.shape(),
                        s.config().parameterCount() + lora, lora, (System.nanoTime() - built) / 1e9);
                Batch batch = Batch.randomTokens(s.batch(), s.seq(), s.config().vocabSize(), s.seed());
                gpuMemory.ifPresent(GpuMemory::resetPeaks);
                double[] seconds = new double[s.steps()];
                double[] losses = new double[s.warmup() + s.steps()];
                for (int step = 0; step < s.warmup() + s.steps(); step++) {
                    long start = System.nanoTime();
                    LossSum loss = model.forwardBackward(batch, 1f / batch.targetTokens(), step);
                    double norm = optimizer.gradientNorm();
                    optimizer.step(LEARNING_RATE, norm > MAX_GRAD_NORM ? MAX_GRAD_NORM / (norm + 1e-6) : 1.0);
                    optimizer.zeroGradients();
                    waitForDevice(parameters.get(parameters.size() - 1).array());
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    gpuMemory.ifPresent(GpuMemory::sample);
                    losses[step] = loss.mean();
                    if (step >= s.warmup()) {
                        seconds[step - s.warmup()] = elapsed;
                    }
                    progress.printf(Locale.ROOT, "step %d/%d: loss %.4f, %.1f ms%s%n", step + 1,
                            s.warmup() + s.steps(), losses[step], elapsed * 1000, step < s.warmup() ? " (warmup)" : "");
                    progress.flush();
                }
                BenchReport report = report(s, chosen, gpuMemory, seconds, losses, progress);
                progress.println(planned(plan, report));
                return report;
            }
        }
    }

    private static BenchReport report(BenchSettings s, ComputeDevice chosen, Optional<GpuMemory> gpuMemory,
                                      double[] seconds, double[] losses, PrintWriter progress) {
        double step = median(seconds);
        double tokensPerSecond = (double) s.batch() * s.seq() / step;
        long flopsPerToken = FlopCount.of(s.config(), s.seq(), s.rank(), s.targets()).perToken();
        double achieved = tokensPerSecond * flopsPerToken / 1e12;
        Double peak = chosen.device().isGpu() ? GpuPeaks.bf16TeraFlops(chosen.hardware()) : null;
        Long allocated = null;
        Long reserved = null;
        if (!chosen.device().isGpu()) {
            allocated = ProcessMemory.peakResidentBytes();
        } else if (gpuMemory.isPresent()) {
            GpuMemory.Peaks peaks = gpuMemory.get().peaks();
            progress.println("peak memory: " + peaks.how());
            allocated = peaks.allocated();
            reserved = peaks.reserved();
        } else {
            progress.println("peak memory: unknown, libtorch's CUDA runtime is not among the loaded libraries");
        }
        long lora = s.config().loraParameterCount(s.rank(), s.targets());
        String device = chosen.device().isGpu() ? "cuda:" + chosen.device().getDeviceId() : "cpu";
        return new BenchReport(s, device, chosen.hardware(), step * 1000, tokensPerSecond, allocated, reserved,
                s.config().parameterCount() + lora, lora, flopsPerToken, achieved, peak,
                peak == null ? null : achieved / peak, losses[0], losses[losses.length - 1], versions());
    }

    /**
     * The memory plan beside the measured peak: on a GPU the plan without the CUDA context against the reserved
     * peak above it (what GpuMemory measures), on a CPU the plan's tensors against the peak resident set, which
     * also holds the JVM and libtorch.
     */
    static String planned(MemoryPlan plan, BenchReport report) {
        boolean gpu = report.device().startsWith("cuda");
        long planned = gpu ? plan.total() - plan.context() : plan.tensorBytes();
        Long measured = gpu ? report.peakReservedBytes() : report.peakMemoryBytes();
        return String.format(Locale.ROOT, "memory plan: %s %s (peak phase: %s); measured %s%s", ByteSize.gib(planned),
                gpu ? "above the CUDA context, allocator reserve included" : "of tensors",
                plan.peakPhase().name(), measured == null ? "unknown" : ByteSize.gib(measured),
                measured == null ? "" : String.format(Locale.ROOT, ", measured / planned %.3f",
                        (double) measured / planned));
    }

    /** Reading one value back waits for everything queued on the device before it. */
    private static void waitForDevice(NDArray parameter) {
        try (NDArray first = parameter.get(0)) {
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
