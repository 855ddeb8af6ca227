package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.ShardedWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merge streams: a 270 MB fp32 model whose largest tensors are 65 MB merges in a child JVM limited to
 * 32 MiB of heap and 32 MiB of direct memory, into 50 MB bf16 shards. Holding any one of those tensors, let
 * alone the model, fails with OutOfMemoryError under those limits: a control JVM shows it.
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

        // The control: under the same limits, holding the largest tensor on the heap or in direct memory fails.
        Child.Outcome holding = Child.run(tmp.resolve("holding.log"), "hold", model.toString());
        assertTrue(holding.output().contains("heap: OutOfMemoryError") && holding.output().contains(
                "direct: OutOfMemoryError"), "the limits must be too small to hold one tensor:\n" + holding.output());

        Child.Outcome merging = Child.run(tmp.resolve("child.log"), "merge", model.toString(), adapter.toString(),
                out.toString());
        String output = merging.output();
        assertEquals(0, merging.exit(), "merge under " + HEAP_LIMIT + " failed:\n" + output);

        try (ShardedWeights base = ShardedWeights.open(model); ShardedWeights merged = ShardedWeights.open(out)) {
            assertEquals(base.names(), merged.names());
        }
        try (Stream<Path> files = Files.list(out)) {
            assertTrue(files.filter(p -> p.toString().endsWith(".safetensors")).count() >= 3, "expected 50MB shards");
        }
    }

    /**
     * A JVM under {@link #HEAP_LIMIT} and {@link #DIRECT_LIMIT}: {@code merge MODEL ADAPTER OUT} merges;
     * {@code hold MODEL} tries to hold model.embed_tokens.weight on the heap, then in a direct buffer, and prints
     * which attempt ran out of memory.
     */
    public static final class Child {

        record Outcome(int exit, String output) {
        }

        static Outcome run(Path log, String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), HEAP_LIMIT, DIRECT_LIMIT, "-cp", System.getProperty("java.class.path"),
                    Child.class.getName()));
            command.addAll(List.of(args));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child did not finish in 5 minutes");
            return new Outcome(child.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        }

        public static void main(String[] args) throws IOException {
            if (args[0].equals("merge")) {
                ModelMerger.merge(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]),
                        MergeOptions.of(DType.BF16, "50MB"));
                return;
            }
            try (SafetensorsFile file = SafetensorsFile.open(Path.of(args[1], ShardedWeights.SINGLE_FILE))) {
                long bytes = file.tensor("model.embed_tokens.weight").byteLength();
                try {
                    System.out.println("heap: held " + file.readFloats("model.embed_tokens.weight").length);
                } catch (OutOfMemoryError e) {
                    System.out.println("heap: OutOfMemoryError");
                }
                try {
                    System.out.println("direct: held " + ByteBuffer.allocateDirect((int) bytes).capacity());
                } catch (OutOfMemoryError e) {
                    System.out.println("direct: OutOfMemoryError");
                }
            }
        }
    }
}
