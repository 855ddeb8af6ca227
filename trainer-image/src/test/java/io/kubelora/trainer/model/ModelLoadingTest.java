package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json parsing, random model writing and every way a model folder can be unusable. */
class ModelLoadingTest {

    @TempDir
    Path dir;

    private static final ModelOptions CPU = ModelOptions.on(Device.cpu()).withSeed(1);

    private String loadFailure(Path modelDir) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> CausalLm.load(modelDir, CPU).close());
        return e.getMessage();
    }

    @Test
    void readsLlama32StyleConfigWithDefaultsAndExtraFields() throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                 "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "vocab_size": 128256, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
                 "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "use_cache": true,
                 "max_position_embeddings": 131072, "attention_dropout": 0.0, "mlp_bias": false}
                """);
        ModelConfig c = ModelConfig.read(dir);
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(64, c.headDim());
        assertEquals(4, c.groupSize());
        assertEquals(RopeScaling.llama3(32.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(List.of(128001L, 128008L, 128009L), c.eosTokenIds());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertNull(c.padTokenId());
        // write + read is the identity
        Path copy = dir.resolve("copy");
        c.write(copy);
        assertEquals(c, ModelConfig.read(copy));
    }

    @Test
    void builderDefaultsAreThoseOfAConfigJsonWithoutTheOptionalFields() throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 10}""");
        ModelConfig built = ModelConfig.builder(Architecture.QWEN2).hiddenSize(64).intermediateSize(96)
                .numHiddenLayers(2).numAttentionHeads(4).vocabSize(10).build();
        assertEquals(ModelConfig.read(dir), built);
        assertEquals(16, built.headDim());
        assertTrue(built.attentionBias());
        assertEquals(built, built.toBuilder().build());
    }

    @Test
    void configErrorsNameFileAndField() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4,
                 "num_hidden_layers": 1, "vocab_size": 10}""");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().contains(config.toString()) && e.getMessage().contains("'intermediate_size'"),
                e.getMessage());

        Files.writeString(config, "{\"architectures\": [\"GPT2LMHeadModel\"]}");
        e = assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel") && e.getMessage().contains("LlamaForCausalLM, "
                + "MistralForCausalLM, Qwen2ForCausalLM"), e.getMessage());

        Files.writeString(config, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": \"big\"}");
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("'hidden_size' must be an integer"));

        Files.writeString(config, "{not json");
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("not valid JSON"));

        Files.writeString(config, """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
                 "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 10}""");
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("not a multiple of num_key_value_heads"));

        Files.writeString(config, """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
                 "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10,
                 "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}""");
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("'rope_scaling.rope_type' 'yarn' is not supported"));

        Files.writeString(config, """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
                 "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10, "hidden_act": "gelu"}""");
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("'hidden_act' 'gelu' is not supported"));

        Files.delete(config);
        assertTrue(assertThrows(ModelLoadException.class, () -> ModelConfig.read(dir)).getMessage()
                .contains("config.json: not found"));
    }

    @Test
    void missingWeightsFileOrTensorOrWrongShapeIsNamed() throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(Architecture.MISTRAL, null, false), 1, dir.resolve("m"));
        Path weights = tiny.dir.resolve("model.safetensors");
        Path moved = dir.resolve("moved.safetensors");
        Files.move(weights, moved);
        assertTrue(loadFailure(tiny.dir).contains("no model.safetensors or model.safetensors.index.json"));

        // Same weights, but config.json now asks for 3 layers: layer 2's tensors are missing.
        Files.move(moved, weights);
        ModelConfig threeLayers = tiny.config.toBuilder().numHiddenLayers(3).build();
        threeLayers.write(tiny.dir);
        assertTrue(loadFailure(tiny.dir).contains("no tensor 'model.layers.2."));

        ModelConfig widerMlp = tiny.config.toBuilder().intermediateSize(64).build();
        widerMlp.write(tiny.dir);
        String msg = loadFailure(tiny.dir);
        assertTrue(msg.contains("'model.layers.0.mlp.gate_proj.weight' has shape [48, 32]") && msg.contains("[64, 32]"),
                msg);

        Files.write(weights, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, '{', '}'});
        assertTrue(loadFailure(tiny.dir).contains("header length"));
    }

    @Test
    void initializerWritesLoadableBf16ModelsOfEachArchitecture() throws Exception {
        for (Architecture architecture : Architecture.values()) {
            Path out = dir.resolve(architecture.name());
            ModelInitializer.write(architecture, Preset.TINY, 300, 7, out);
            ModelConfig c = ModelConfig.read(out);
            assertEquals(architecture, c.architecture());
            assertEquals(300, c.vocabSize());
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertEquals(DType.BF16, f.tensor(WeightNames.EMBED_TOKENS).dtype());
                float[] embed = f.readFloats(WeightNames.EMBED_TOKENS);
                double sumSquares = 0;
                for (float v : embed) {
                    sumSquares += v * v;
                }
                // token matrices at 2/sqrt(D) so a frozen head can express confident predictions
                assertEquals(2 / Math.sqrt(c.hiddenSize()), Math.sqrt(sumSquares / embed.length), 0.02);
                float[] q = f.readFloats(WeightNames.weight(0, "q_proj"));
                double qSquares = 0;
                for (float v : q) {
                    qSquares += v * v;
                }
                assertEquals(ModelInitializer.INIT_STD, Math.sqrt(qSquares / q.length), 0.002);
            }
            try (CausalLm model = CausalLm.load(out, CPU)) {
                LoraAdapters.attach(model, new PeftAdapterConfig(null, 16, 32, 0.05, WeightNames.LINEAR_MODULES, false),
                        1);
                long expected = ModelInitializer.tensorShapes(c).values().stream()
                        .mapToLong(io.kubelora.trainer.safetensors.TensorInfo::elementCount).sum();
                assertEquals(expected, model.parameterCount() - model.trainableParameterCount());
                float[][] logits = model.logits(new long[] {1, 2, 3});
                assertEquals(300, logits[0].length);
                assertTrue(Float.isFinite(logits[2][299]));
            }
        }
    }

    @Test
    void largeTensorsAreUploadedInRowBlocksWithoutLosingValues() throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(Architecture.LLAMA, null, false), 2, dir.resolve("m"));
        try (io.kubelora.trainer.safetensors.ShardedWeights weights =
                     io.kubelora.trainer.safetensors.ShardedWeights.open(tiny.dir);
             ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            WeightLoader loader = new WeightLoader(weights, 7 * 32 * 4); // 7 rows of 32 per block: 8 blocks for 50
            ai.djl.ndarray.NDArray embed = loader.load(WeightNames.EMBED_TOKENS, new long[] {50, 32}, manager);
            assertArrayEquals(tiny.weights.get(WeightNames.EMBED_TOKENS), embed.toFloatArray());
            ai.djl.ndarray.NDArray norm = loader.load(WeightNames.FINAL_NORM, new long[] {32}, manager);
            assertArrayEquals(tiny.weights.get(WeightNames.FINAL_NORM), norm.toFloatArray());
        }
    }

    @Test
    void nf4QuantizesOnlyDecoderLinears() throws Exception {
        TinyModel tiny = TinyModel.write(TinyModel.config(Architecture.LLAMA, null, false), 4, dir.resolve("m"));
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
        ModelOptions nf4 = CPU.withNf4(true);
        try (CausalLm dense = CausalLm.load(tiny.dir, CPU); CausalLm quantized = CausalLm.load(tiny.dir, nf4)) {
            assertEquals(dense.parameterCount(), quantized.parameterCount());
            assertTrue(quantized.baseWeightBytes() < dense.baseWeightBytes());
            float[][] a = dense.logits(ids);
            float[][] b = quantized.logits(ids);
            double errorSquares = 0;
            double logitSquares = 0;
            for (int p = 0; p < ids.length; p++) {
                for (int v = 0; v < a[p].length; v++) {
                    errorSquares += (a[p][v] - b[p][v]) * (a[p][v] - b[p][v]);
                    logitSquares += a[p][v] * a[p][v];
                }
            }
            double relativeError = Math.sqrt(errorSquares / logitSquares);
            // 4-bit weights (~10% RMS error each) through two layers: close, but not equal.
            assertTrue(relativeError > 1e-4 && relativeError < 0.3, "NF4 relative logit error " + relativeError);
        }
    }
}
