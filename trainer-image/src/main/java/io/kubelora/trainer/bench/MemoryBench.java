package io.kubelora.trainer.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.cuda.CudaUtils;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanSettings;
import io.kubelora.trainer.memory.PlanText;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.train.AdamW;
import io.kubelora.trainer.train.Devices;
import io.kubelora.trainer.train.ProcessMemory;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The memory plan of a training setup against what it really takes: a named real shape with random weights made on
 * the device, LoRA adapters and AdamW, a few training steps on random tokens; then the plan's peak beside the
 * measured one (on a GPU the device memory in use after each step, cudaMemGetInfo, which includes the CUDA context
 * and everything the caching allocator holds; on a CPU the growth of the process's peak resident set over the
 * baseline of the JVM and libtorch), and the median step time, to price offloading.
 */
@Command(name = "memory-bench", mixinStandardHelpOptions = true,
        description = "Train a named shape with random weights for a few steps and compare the memory plan's peak "
                + "with the measured one; prints the step time too.")
public final class MemoryBench implements Callable<Integer> {

    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "A named real shape: llama-3.2-1b, llama-3.1-8b, smollm2-135m, ...")
    String shape;

    @Option(names = "--nf4", description = "NF4 decoder linears with double quantization (QLoRA).")
    boolean nf4;

    @Option(names = "--bf16", description = "bf16 compute and weights (the default on a GPU).")
    boolean bf16;

    @Option(names = "--batch", defaultValue = "2", description = "Sequences per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", defaultValue = "2048", description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--modules", split = ",", paramLabel = "NAME",
            description = "Adapted linears, comma-separated (default: all seven).")
    List<String> modules = WeightNames.LINEAR_MODULES;

    @Option(names = "--checkpointing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Activation checkpointing (default on; --no-checkpointing turns it off).")
    boolean checkpointing;

    @Option(names = "--offload-activations", description = "Checkpointed layer inputs in host memory.")
    boolean offloadActivations;

    @Option(names = "--optimizer-offload", description = "AdamW state in host memory.")
    boolean optimizerOffload;

    @Option(names = "--steps", defaultValue = "3",
            description = "Timed steps after one warm-up (default ${DEFAULT-VALUE}).")
    int steps;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ModelConfig config = ModelShapes.config(shape);
        Device device = Devices.preferred();
        ModelOptions options = ModelOptions.on(device).withBf16Compute(bf16 || device.isGpu())
                .withGradientCheckpointing(checkpointing).withOffloadActivations(offloadActivations)
                .withEmbeddingOnHost(device.isGpu()).withSeed(1);
        if (nf4) {
            options = options.withNf4(true);
        }
        MemoryPlan plan = MemoryPlan.of(config, new PlanSettings(options, rank, modules, 0.0, batch, seq, 1,
                optimizerOffload, 1));
        out.print(PlanText.describe(plan, shape + " (random weights)"));
        long baseline = warmUp(device);
        Engine.getInstance().setRandomSeed(1);
        long peak = 0;
        double[] millis = new double[steps];
        try (CausalLm model = CausalLm.random(config, options);
             AdamW optimizer = new AdamW(LoraAdapters.attach(model, new PeftAdapterConfig(null, rank, 2 * rank, 0.0,
                     modules, false), 1).parameters(), 0.0, model.manager(), optimizerOffload)) {
            Batch tokens = randomBatch(config.vocabSize());
            for (int step = 0; step <= steps; step++) {
                long start = System.nanoTime();
                model.forwardBackward(tokens, 1f / tokens.targetTokens(), step);
                optimizer.step(1e-4, 1.0);
                optimizer.zeroGradients();
                peak = Math.max(peak, inUse(device));
                if (step > 0) {
                    millis[step - 1] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        long measured = device.isGpu() ? peak : ProcessMemory.peakResidentBytes() - baseline;
        long planned = device.isGpu() ? plan.total() : plan.tensorBytes();
        Arrays.sort(millis);
        out.printf(Locale.ROOT, "planned peak       %s%s%n", ByteSize.gib(planned),
                device.isGpu() ? " (tensors, CUDA context, allocator reserve)" : " (tensors)");
        out.printf(Locale.ROOT, "measured peak      %s (%s)%n", ByteSize.gib(measured), device.isGpu()
                ? "GPU memory in use after any step" : "peak RSS " + ByteSize.gib(ProcessMemory.peakResidentBytes())
                + " minus the baseline " + ByteSize.gib(baseline) + " of the JVM and libtorch");
        out.printf(Locale.ROOT, "measured / planned %.3f%n", (double) measured / planned);
        if (device.isGpu()) {
            out.printf(Locale.ROOT, "before the model   %s (the CUDA context; planned %s)%n", ByteSize.gib(baseline),
                    ByteSize.gib(plan.context()));
        }
        out.printf(Locale.ROOT, "step time          %.0f ms (median of %d on %s)%n", millis[steps / 2], steps, device);
        out.flush();
        return 0;
    }

    /** Starts the engine and returns the memory in use before any model: the baseline on a CPU. */
    private static long warmUp(Device device) {
        try (NDManager warmup = NDManager.newBaseManager(device);
             NDArray one = warmup.ones(new Shape(1))) {
            one.getFloat();
        }
        System.gc();
        return device.isGpu() ? inUse(device) : ProcessMemory.peakResidentBytes();
    }

    private static long inUse(Device device) {
        return device.isGpu() ? CudaUtils.getGpuMemory(device).getUsed() : ProcessMemory.residentBytes();
    }

    private Batch randomBatch(int vocabSize) {
        SplittableRandom random = new SplittableRandom(7);
        long[] inputs = new long[batch * seq];
        long[] targets = new long[batch * seq];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(vocabSize);
            targets[i] = random.nextInt(vocabSize);
        }
        return new Batch(batch, seq, inputs, targets);
    }
}
