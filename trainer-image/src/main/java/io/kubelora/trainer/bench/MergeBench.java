package io.kubelora.trainer.bench;

import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.merge.MergeOptions;
import io.kubelora.trainer.merge.MergeResult;
import io.kubelora.trainer.merge.ModelMerger;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import io.kubelora.trainer.storage.LocalFiles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Merge throughput against a plain copy of the same model files, in the same run and on the same disk:
 * {@code java -cp ... io.kubelora.trainer.bench.MergeBench [layers] [workDir] [rounds]}. Writes a random bf16 Llama
 * (D 1024, I 2816, 16 heads / 4 KV heads, vocab 32000; 16 layers is ~490 MB) and an all-linear r=16 adapter,
 * then alternates copy and merge (bf16 out, 5GB shards) {@code rounds} times (3) and reports the best of each in GB/s of
 * output and the merge/copy ratio (target: at least 0.5). The merge is CPU-bound (decode, r multiply-adds per
 * weight, encode) and spreads rows over every core, where the copy is one memory-bound stream: the ratio grows
 * with the core count (run it under {@code taskset -c 0} to see one core's share). The CPU seconds and load
 * average are printed with each round, since on a shared machine the ratio also measures the other tenants.
 */
public final class MergeBench {

    private static final int RANK = 16;

    private MergeBench() {
    }

    public static void main(String[] args) throws IOException {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        // a folder of its own, even inside a given one: everything in it is deleted at the end
        Path work = args.length > 1 ? Files.createTempDirectory(Files.createDirectories(Path.of(args[1])),
                "kubelora-merge-bench-") : Files.createTempDirectory("kubelora-merge-bench");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path model = work.resolve("base");
        Path adapter = work.resolve("adapter");
        try {
            ModelConfig config = ModelConfig.builder(Architecture.LLAMA).hiddenSize(1024).intermediateSize(2816)
                    .numHiddenLayers(layers).numAttentionHeads(16).numKeyValueHeads(4).rmsNormEps(1e-5)
                    .ropeTheta(500_000.0).vocabSize(32_000).torchDtype("bfloat16").maxPositionEmbeddings(4096)
                    .bosTokenId(1L).eosTokenIds(List.of(2L)).build();
            long start = System.nanoTime();
            ModelInitializer.write(config, 1, model);
            writeAdapter(config, adapter);
            System.out.printf(Locale.ROOT, "model: %d layers, %.1f MB bf16 (written in %.1f s); adapter r=%d on %s%n",
                    layers, folderBytes(model) / 1e6, (System.nanoTime() - start) / 1e9, RANK,
                    WeightNames.LINEAR_MODULES);
            double bestCopy = 0;
            double bestMerge = 0;
            for (int round = 1; round <= rounds; round++) {
                Path copyDir = work.resolve("copy-" + round);
                long t0 = System.nanoTime();
                Files.createDirectories(copyDir);
                try (Stream<Path> files = Files.list(model)) {
                    for (Path f : files.toList()) {
                        Files.copy(f, copyDir.resolve(f.getFileName()));
                    }
                }
                double copySeconds = (System.nanoTime() - t0) / 1e9;
                double copyRate = folderBytes(copyDir) / 1e9 / copySeconds;

                Path mergedDir = work.resolve("merged-" + round);
                long cpu0 = processCpuNanos();
                long t1 = System.nanoTime();
                MergeResult result = ModelMerger.merge(model, adapter, mergedDir,
                        MergeOptions.of(DType.BF16, MergeOptions.DEFAULT_MAX_SHARD_SIZE));
                double mergeSeconds = (System.nanoTime() - t1) / 1e9;
                double mergeCpuSeconds = (processCpuNanos() - cpu0) / 1e9;
                double mergeRate = folderBytes(mergedDir) / 1e9 / mergeSeconds;
                System.out.printf(Locale.ROOT, "round %d: copy %.2f GB/s (%.2f s), merge %.2f GB/s (%.2f s, "
                        + "%.2f s of CPU, %d linears merged), load average %.1f on %d cores%n",
                        round, copyRate, copySeconds, mergeRate,
                        mergeSeconds, mergeCpuSeconds, result.mergedLinears(),
                        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                        Runtime.getRuntime().availableProcessors());
                bestCopy = Math.max(bestCopy, copyRate);
                bestMerge = Math.max(bestMerge, mergeRate);
                LocalFiles.deleteTree(copyDir);
                LocalFiles.deleteTree(mergedDir);
            }
            System.out.printf(Locale.ROOT, "best: copy %.2f GB/s, merge %.2f GB/s, merge/copy %.2f (target >= 0.5)%n",
                    bestCopy, bestMerge, bestMerge / bestCopy);
        } finally {
            LocalFiles.deleteTree(work);
        }
    }

    /** CPU time of this process (all threads), or 0 where the JVM does not report it. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    private static void writeAdapter(ModelConfig config, Path dir) throws IOException {
        List<String> modules = WeightNames.LINEAR_MODULES;
        new PeftAdapterConfig(null, RANK, 2.0 * RANK, 0.0, modules, false).write(dir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            for (String module : modules) {
                long[] w = config.linearShape(module);
                entries.add(new SafetensorsWriter.Entry(PeftAdapter.loraA(layer, module), DType.F32,
                        new long[] {RANK, w[1]}));
                entries.add(new SafetensorsWriter.Entry(PeftAdapter.loraB(layer, module), DType.F32,
                        new long[] {w[0], RANK}));
            }
        }
        SplittableRandom random = new SplittableRandom(2);
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve(PeftAdapter.WEIGHTS_FILE), entries,
                Map.of("format", "pt"))) {
            for (SafetensorsWriter.Entry e : entries) {
                float[] values = new float[Math.toIntExact(e.elementCount())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextDouble() - 0.5) * 0.02f;
                }
                writer.write(e.name(), values);
            }
        }
    }

    private static long folderBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long total = 0;
            for (Path f : files.toList()) {
                total += Files.size(f);
            }
            return total;
        }
    }
}
