package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.merge.MergeFixtures.Tensor;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.HalfFloats;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelMergerTest {

    private static final List<String> MODULES = List.of("q_proj", "v_proj", "down_proj");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void mergedWeightsAreBasePlusScaledBTimesA() throws IOException {
        checkMergeMatchesReference("float32", false, 8, 16.0);
    }

    @Test
    void rsLoraScalesByAlphaOverSqrtR() throws IOException {
        checkMergeMatchesReference("float32", true, 8, 16.0); // alpha / sqrt(8), not alpha / 8
    }

    @Test
    void bf16BaseIsDecodedExactlyAndMergedInFp32() throws IOException {
        checkMergeMatchesReference("bfloat16", false, 6, 12.0); // r = 6: not a multiple of the unrolled 4
    }

    @Test
    void outputReloadsWithBaseNamesShapesAndRequestedDtypeInBoundedShards() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.QWEN2, "float32");
        Path model = MergeFixtures.writeModel(config, 3, tmp.resolve("base"));
        Map<String, Tensor> tensors = MergeFixtures.randomAdapterTensors(config, 4, MODULES, 4);
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 4, 8, false, MODULES, tensors);
        long maxShard = 40_000; // bytes of bf16 data: the [96, 64] embedding (12288 B) and layers split up
        MergeResult result = ModelMerger.merge(model, adapter, tmp.resolve("merged"),
                new MergeOptions(DType.BF16, maxShard));
        assertTrue(result.shards() > 2, "expected several shards, got " + result.shards());
        assertEquals(2 * MODULES.size(), result.mergedLinears());

        Path merged = result.modelDir();
        JsonNode index = JSON.readTree(merged.resolve(ShardedWeights.INDEX_FILE).toFile());
        try (ShardedWeights base = ShardedWeights.open(model); ShardedWeights out = ShardedWeights.open(merged)) {
            assertEquals(base.names(), out.names());
            long total = 0;
            for (String name : base.names()) {
                TensorInfo info = out.info(name);
                assertArrayEquals(base.info(name).shape(), info.shape(), name);
                assertEquals(DType.BF16, info.dtype(), name);
                assertEquals(out.file(name).path().getFileName().toString(),
                        index.path("weight_map").path(name).asText(), name);
                total += info.byteLength();
            }
            assertEquals(base.names().size(), index.path("weight_map").size());
            assertEquals(total, index.path("metadata").path("total_size").asLong());
            assertEquals(total, result.tensorBytes());
            // A non-adapted tensor converted fp32 -> bf16 is the rounded base value.
            float[] before = base.readFloats(WeightNames.weight(1, "k_proj"));
            float[] after = out.readFloats(WeightNames.weight(1, "k_proj"));
            for (int i = 0; i < before.length; i++) {
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(before[i])), after[i], 0f);
            }
            // An adapted one is W + scaling * B A rounded to bf16 (within one bf16 step of the exact value).
            String down = WeightNames.weight(1, "down_proj");
            Tensor a = tensors.get(PeftAdapter.loraA(1, "down_proj"));
            Tensor b = tensors.get(PeftAdapter.loraB(1, "down_proj"));
            float[] w = base.readFloats(down);
            float[] mergedDown = out.readFloats(down);
            int cols = (int) a.shape()[1];
            for (int o = 0; o < b.shape()[0]; o++) {
                for (int i = 0; i < cols; i++) {
                    double ba = 0;
                    for (int k = 0; k < 4; k++) {
                        ba += (double) b.values()[o * 4 + k] * a.values()[k * cols + i];
                    }
                    double exact = w[o * cols + i] + 2.0 * ba; // alpha 8 / r 4
                    assertEquals(exact, mergedDown[o * cols + i], Math.ulp((float) exact) * 65536 + 1e-6,
                            down + "[" + o + ", " + i + "]");
                }
            }
        }
        try (Stream<Path> files = Files.list(merged)) {
            List<Path> shards = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            assertEquals(result.shards(), shards.size());
            for (int i = 0; i < shards.size(); i++) {
                assertEquals(String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()),
                        shards.get(i).getFileName().toString());
                try (SafetensorsFile shard = SafetensorsFile.open(shards.get(i))) {
                    long data = shard.tensors().stream().mapToLong(TensorInfo::byteLength).sum();
                    assertTrue(data <= maxShard, shards.get(i) + " holds " + data + " bytes");
                    assertEquals("pt", shard.metadata().get("format"));
                }
            }
        }
        JsonNode mergedConfig = JSON.readTree(merged.resolve("config.json").toFile());
        assertEquals("bfloat16", mergedConfig.path("torch_dtype").asText());
        assertEquals("Qwen2ForCausalLM", mergedConfig.path("architectures").path(0).asText());
        for (String name : MergeFixtures.SMALL_FILES) {
            assertEquals(Files.readString(model.resolve(name)), Files.readString(merged.resolve(name)), name);
        }
        assertFalse(Files.exists(merged.resolve("model.safetensors")));
        assertFalse(Files.exists(merged.resolve("adapter_config.json")));
    }

    @Test
    void oneShardIsWrittenAsModelSafetensorsWithoutIndex() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.MISTRAL, "bfloat16");
        Path model = MergeFixtures.writeModel(config, 5, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 2, 4, false, List.of("o_proj"),
                MergeFixtures.randomAdapterTensors(config, 2, List.of("o_proj"), 6));
        MergeResult result = ModelMerger.merge(model, adapter, tmp.resolve("merged"),
                MergeOptions.of(DType.F16, "5GB"));
        assertEquals(1, result.shards());
        assertTrue(Files.isRegularFile(result.modelDir().resolve("model.safetensors")));
        assertFalse(Files.exists(result.modelDir().resolve(ShardedWeights.INDEX_FILE)));
        try (ShardedWeights out = ShardedWeights.open(result.modelDir())) {
            assertEquals(DType.F16, out.info(WeightNames.EMBED_TOKENS).dtype());
        }
        assertEquals("float16", JSON.readTree(result.modelDir().resolve("config.json").toFile())
                .path("torch_dtype").asText());
    }

    @Test
    void tensorLargerThanTheShardLimitGetsItsOwnShard() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.LLAMA, "float32");
        Path model = MergeFixtures.writeModel(config, 7, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 2, 4, false, List.of("q_proj"),
                MergeFixtures.randomAdapterTensors(config, 2, List.of("q_proj"), 8));
        long limit = 20_000; // the fp32 [96, 64] embedding and lm_head (24576 B each) exceed it
        MergeResult result = ModelMerger.merge(model, adapter, tmp.resolve("merged"),
                new MergeOptions(DType.F32, limit));
        try (ShardedWeights out = ShardedWeights.open(result.modelDir())) {
            for (String big : List.of(WeightNames.EMBED_TOKENS, WeightNames.LM_HEAD)) {
                SafetensorsFile shard = out.file(big);
                assertEquals(1, shard.tensors().size(), big + " should be alone in " + shard.path());
            }
            for (String name : out.names()) {
                SafetensorsFile shard = out.file(name);
                long data = shard.tensors().stream().mapToLong(TensorInfo::byteLength).sum();
                assertTrue(data <= limit || shard.tensors().size() == 1, shard.path() + " holds " + data);
            }
        }
    }

    @Test
    void refusesAnExistingOutputFolder() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.LLAMA, "float32");
        Path model = MergeFixtures.writeModel(config, 1, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 2, 4, false, List.of("q_proj"),
                MergeFixtures.randomAdapterTensors(config, 2, List.of("q_proj"), 2));
        Path out = Files.createDirectory(tmp.resolve("merged"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelMerger.merge(model, adapter, out, MergeOptions.of(DType.BF16, "5GB")));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }

    private void checkMergeMatchesReference(String baseDtype, boolean rslora, int rank, double alpha)
            throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.LLAMA, baseDtype);
        Path model = MergeFixtures.writeModel(config, 11, tmp.resolve("base"));
        Map<String, Tensor> tensors = MergeFixtures.randomAdapterTensors(config, rank, MODULES, 12);
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), rank, alpha, rslora, MODULES, tensors);
        MergeResult result = ModelMerger.merge(model, adapter, tmp.resolve("merged"),
                MergeOptions.of(DType.F32, "5GB"));
        double scaling = rslora ? alpha / Math.sqrt(rank) : alpha / rank;
        Map<String, Integer> checked = new HashMap<>();
        try (ShardedWeights base = ShardedWeights.open(model);
             ShardedWeights out = ShardedWeights.open(result.modelDir())) {
            for (String name : base.names()) {
                String module = moduleOf(name);
                if (module == null) {
                    if (base.info(name).dtype() == DType.F32) {
                        assertArrayEquals(rawBytes(base, name), rawBytes(out, name), name + " copied unchanged");
                    } else {
                        assertArrayEquals(base.readFloats(name), out.readFloats(name), 0f, name + " widened exactly");
                    }
                    continue;
                }
                Tensor a = tensors.get(PeftAdapter.KEY_PREFIX + module + ".lora_A.weight");
                Tensor b = tensors.get(PeftAdapter.KEY_PREFIX + module + ".lora_B.weight");
                float[] w = base.readFloats(name);
                float[] merged = out.readFloats(name);
                int rows = (int) b.shape()[0];
                int cols = (int) a.shape()[1];
                double maxDelta = 0;
                for (int o = 0; o < rows; o++) {
                    for (int i = 0; i < cols; i++) {
                        double ba = 0;
                        for (int k = 0; k < rank; k++) {
                            ba += (double) b.values()[o * rank + k] * a.values()[k * cols + i];
                        }
                        double expected = w[o * cols + i] + scaling * ba;
                        maxDelta = Math.max(maxDelta, Math.abs(scaling * ba));
                        assertEquals(expected, merged[o * cols + i], 1e-6, name + "[" + o + ", " + i + "]");
                    }
                }
                assertTrue(maxDelta > 1e-2, name + ": the update should be visible, max |ΔW| " + maxDelta);
                checked.merge(module.substring(module.lastIndexOf('.') + 1), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("q_proj", 2, "v_proj", 2, "down_proj", 2), checked);
    }

    /** The module path of an adapted weight, or null for tensors the adapter does not touch. */
    private static String moduleOf(String weightName) {
        for (String m : MODULES) {
            if (weightName.endsWith("." + m + ".weight")) {
                return weightName.substring(0, weightName.length() - ".weight".length());
            }
        }
        return null;
    }

    private static byte[] rawBytes(ShardedWeights weights, String name) throws IOException {
        TensorInfo info = weights.info(name);
        ByteBuffer data = weights.file(name).map(info, 0, (int) info.byteLength());
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }
}
