package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.ShardedWeights;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merge streams: a 270 MB fp32 model whose largest tensors are 65 MB merges in a child JVM limited to
 * 32 MiB of heap and 32 MiB of direct memory, into 50 MB bf16 shards. Holding any one of those tensors, let
 * alone the model, would fail with OutOfMemoryError.
 */
class MergeMemoryTest {

    private static final String HEAP_LIMIT = "-Xmx32m";
    private static final String DIRECT_LIMIT = "-XX:MaxDirectMemorySize=32m";

    @TempDir
    Path tmp;

    @Test
    void mergesAModelEightTimesLargerThanTheHeap() throws Exception {
        // Llama layout, D 512, I 1408, 12 layers, vocab 32000: 67.6M parameters, 270 MB in fp32;
        // embed_tokens and lm_head are [32000, 512] = 65.5 MB each.
        ModelConfig config = ModelConfig.builder(Architecture.LLAMA).hiddenSize(512).intermediateSize(1408)
                .numHiddenLayers(12).numAttentionHeads(8).numKeyValueHeads(4).rmsNormEps(1e-5).ropeTheta(500_000.0)
                .vocabSize(32_000).build();
        Path model = tmp.resolve("base");
        ModelInitializer.write(config, 41, model);
        long modelBytes = Files.size(model.resolve(ShardedWeights.SINGLE_FILE));
        assertTrue(modelBytes > 250_000_000L, "model is " + modelBytes + " bytes");
        List<String> modules = WeightNames.LINEAR_MODULES;
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 8, 16, false, modules,
                MergeFixtures.randomAdapterTensors(config, 8, modules, 42));
        Path out = tmp.resolve("merged");

        Path log = tmp.resolve("child.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP_LIMIT, DIRECT_LIMIT, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), model.toString(), adapter.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the merge did not finish in 5 minutes");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "merge under " + HEAP_LIMIT + " failed:\n" + output);

        try (ShardedWeights base = ShardedWeights.open(model); ShardedWeights merged = ShardedWeights.open(out)) {
            assertEquals(base.names(), merged.names());
        }
        try (Stream<Path> files = Files.list(out)) {
            assertTrue(files.filter(p -> p.toString().endsWith(".safetensors")).count() >= 3, "expected 50MB shards");
        }
        long peakHeap = Long.parseLong(output.lines().filter(l -> l.startsWith("peak-heap-bytes "))
                .findFirst().orElseThrow(() -> new AssertionError("no peak report:\n" + output)).substring(16).trim());
        assertTrue(peakHeap < 32L << 20, "peak heap " + peakHeap);
    }

    /** Runs one merge and reports the peak heap use of the JVM. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            ModelMerger.merge(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]),
                    MergeOptions.of(DType.BF16, "50MB"));
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("peak-heap-bytes " + peak);
        }
    }
}
