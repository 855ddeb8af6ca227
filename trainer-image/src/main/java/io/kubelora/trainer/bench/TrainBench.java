package io.kubelora.trainer.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.train.AdamW;
import io.kubelora.trainer.train.Devices;
import io.kubelora.trainer.train.ProcessMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * kubelora bench: training throughput of a fixed small Llama (4 layers, hidden 256) with LoRA r=16 on every
 * linear, against a plain f32 matmul measured in the same process. FLOPs per token are 4N (forward 2N, backward
 * to the activations 2N; frozen weights get no gradient) plus attention's 12 T d per layer.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training throughput (tokens/s, peak RSS, achieved FLOP/s vs a plain matmul).")
public final class TrainBench implements Callable<Integer> {

    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--seq", defaultValue = "256", description = "Sequence length (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--batch", defaultValue = "4", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--vocab", defaultValue = "32000", description = "Vocabulary size (default ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--checkpointing", defaultValue = "false", description = "Activation checkpointing.")
    boolean checkpointing;

    @Option(names = "--nf4", defaultValue = "false", description = "QLoRA: NF4 base weights.")
    boolean nf4;

    @Option(names = "--bf16", defaultValue = "false",
            description = "bf16 matmuls and frozen weights (the default on a GPU; only fast on CPUs with bf16 units).")
    boolean bf16;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("kubelora-bench");
        ModelInitializer.write(Architecture.LLAMA, Preset.SMALL, vocab, 42, dir);
        Device device = Devices.preferred();
        ModelOptions options = ModelOptions.on(device).withBf16Compute(bf16 || device.isGpu())
                .withGradientCheckpointing(checkpointing).withSeed(42);
        if (nf4) {
            options = options.withNf4(true);
        }
        PeftAdapterConfig lora = new PeftAdapterConfig(null, 16, 32, 0.0, WeightNames.LINEAR_MODULES, false);
        double matmulFlops = matmulFlopsPerSecond(device);
        try (CausalLm model = CausalLm.load(dir, options);
             AdamW optimizer = new AdamW(LoraAdapters.attach(model, lora, 42).parameters(), 0.0, model.manager())) {
            ModelConfig c = model.config();
            Random random = new Random(7);
            Batch batch = randomBatch(random, c.vocabSize());
            for (int i = 0; i < warmup; i++) {
                trainStep(model, optimizer, batch, i);
            }
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                trainStep(model, optimizer, batch, warmup + i);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double tokensPerSecond = (double) steps * batchSize * seqLen / seconds;
            double flopsPerToken = 4.0 * linearParameters(c)
                    + 12.0 * c.numHiddenLayers() * seqLen * c.numAttentionHeads() * c.headDim();
            double achieved = tokensPerSecond * flopsPerToken;
            System.out.printf(Locale.ROOT, "config: llama %d layers, hidden %d, vocab %d, seq %d, batch %d, "
                            + "LoRA r=16 all-linear%s%s, %s with %s, %d threads%n", c.numHiddenLayers(), c.hiddenSize(),
                    c.vocabSize(), seqLen, batchSize, nf4 ? ", nf4 base" : "",
                    checkpointing ? ", checkpointing" : "", device, model.computeDescription(),
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "step time:        %.1f ms%n", 1000 * seconds / steps);
            System.out.printf(Locale.ROOT, "tokens/s:         %.0f%n", tokensPerSecond);
            System.out.printf(Locale.ROOT, "achieved:         %.2f GFLOP/s (%.1f MFLOP per token)%n",
                    achieved / 1e9, flopsPerToken / 1e6);
            System.out.printf(Locale.ROOT, "plain f32 matmul: %.2f GFLOP/s (1024x1024x1024)%n", matmulFlops / 1e9);
            System.out.printf(Locale.ROOT, "ratio:            %.2f%n", achieved / matmulFlops);
            System.out.printf(Locale.ROOT, "peak RSS:         %d MiB%n", ProcessMemory.peakResidentBytes() >> 20);
        }
        return 0;
    }

    private static void trainStep(CausalLm model, AdamW optimizer, Batch batch, long microBatch) {
        model.forwardBackward(batch, 1f / batch.targetTokens(), microBatch);
        optimizer.step(1e-4, 1.0);
        optimizer.zeroGradients();
    }

    private Batch randomBatch(Random random, int vocabSize) {
        long[] tokens = new long[batchSize * (seqLen + 1)];
        Arrays.setAll(tokens, i -> random.nextInt(vocabSize));
        long[] inputs = new long[batchSize * seqLen];
        long[] targets = new long[batchSize * seqLen];
        for (int b = 0; b < batchSize; b++) {
            System.arraycopy(tokens, b * (seqLen + 1), inputs, b * seqLen, seqLen);
            System.arraycopy(tokens, b * (seqLen + 1) + 1, targets, b * seqLen, seqLen);
        }
        return new Batch(batchSize, seqLen, inputs, targets);
    }

    /** Weights that take part in matmuls: every decoder linear and the output head (embedding is a lookup). */
    private static long linearParameters(ModelConfig c) {
        long d = c.hiddenSize();
        long qOut = (long) c.numAttentionHeads() * c.headDim();
        long kvOut = (long) c.numKeyValueHeads() * c.headDim();
        long attention = d * qOut + 2 * d * kvOut + qOut * d;
        long mlp = 3 * d * c.intermediateSize();
        return c.numHiddenLayers() * (attention + mlp) + d * c.vocabSize();
    }

    private static double matmulFlopsPerSecond(Device device) {
        int n = 1024;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray a = manager.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
            NDArray b = manager.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            int reps = 20;
            long start = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // forces completion on asynchronous devices
                }
            }
            return reps * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9);
        }
    }
}
