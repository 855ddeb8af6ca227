package io.kubelora.trainer.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.model.InPlace;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter folder is exactly what peft writes, and reading one back checks it against the model. */
class PeftAdapterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PeftAdapterConfig SPEC = new PeftAdapterConfig(null, 4, 8, 0.1, List.of("q_proj", "v_proj"),
            false);
    private static final long SEED = 9;

    @TempDir
    Path dir;
    Path modelDir;

    @BeforeEach
    void model() throws Exception {
        modelDir = dir.resolve("model");
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, 128, 3, modelDir);
    }

    private static final ModelOptions OPTIONS = ModelOptions.on(Device.cpu()).withSeed(SEED);

    /** One training step so that B is no longer zero and the round trip is meaningful. */
    private static void train(CausalLm model) {
        Batch batch = new Batch(1, 5, new long[] {1, 2, 3, 4, 5}, new long[] {2, 3, 4, 5, 6});
        model.forwardBackward(batch, 1f);
        for (TrainableParameter p : model.trainableParameters()) {
            try (NDArray g = p.array().getGradient()) {
                float[] values = p.array().toFloatArray();
                float[] grad = g.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    values[i] -= grad[i];
                }
                InPlace.assign(p.array(), values);
            }
        }
    }

    @Test
    void writesPeftLayoutAndConfig() throws Exception {
        Path adapter = dir.resolve("adapter");
        try (CausalLm model = CausalLm.load(modelDir, OPTIONS)) {
            LoraAdapters.attach(model, SPEC, SEED).save(adapter, "meta-llama/Llama-3.2-1B");
        }
        JsonNode config = JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals("meta-llama/Llama-3.2-1B", config.get("base_model_name_or_path").asText());
        assertTrue(config.get("revision").isNull());
        assertEquals(4, config.get("r").asInt());
        assertTrue(config.get("r").isInt());
        assertEquals(8, config.get("lora_alpha").asInt());
        assertTrue(config.get("lora_alpha").isIntegralNumber());
        assertEquals(0.1, config.get("lora_dropout").asDouble());
        assertEquals(List.of("q_proj", "v_proj"), JSON.convertValue(config.get("target_modules"), List.class));
        assertEquals("none", config.get("bias").asText());
        assertEquals(false, config.get("use_rslora").asBoolean());
        assertEquals(false, config.get("use_dora").asBoolean(true));
        assertTrue(config.get("modules_to_save").isNull());
        assertTrue(config.get("init_lora_weights").asBoolean());
        assertEquals(false, config.get("fan_in_fan_out").asBoolean(true));
        assertTrue(config.get("inference_mode").asBoolean());
        assertTrue(config.get("layers_to_transform").isNull());
        assertTrue(config.get("layers_pattern").isNull());
        assertEquals("0.17.0", config.get("peft_version").asText());
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        assertEquals(new ArrayList<>(new TreeSet<>(keys)), keys, "keys sorted like peft's json.dumps");

        try (SafetensorsFile weights = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            TreeSet<String> expected = new TreeSet<>();
            for (int layer = 0; layer < 2; layer++) {
                for (String module : List.of("q_proj", "v_proj")) {
                    expected.add("base_model.model.model.layers." + layer + ".self_attn." + module + ".lora_A.weight");
                    expected.add("base_model.model.model.layers." + layer + ".self_attn." + module + ".lora_B.weight");
                }
            }
            TreeSet<String> actual = new TreeSet<>();
            weights.tensors().forEach(t -> actual.add(t.name()));
            assertEquals(expected, actual);
            for (TensorInfo t : weights.tensors()) {
                assertEquals(DType.F32, t.dtype(), t.name());
            }
            // tiny: hidden 64, 4 heads x 16, 2 KV heads -> q [64, 64], v [32, 64]
            assertArrayEquals(new long[] {4, 64},
                    weights.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {64, 4},
                    weights.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {32, 4},
                    weights.tensor("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape());
            float[] a = weights.readFloats("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
            double bound = 1 / Math.sqrt(64);
            double maxAbs = 0;
            for (float v : a) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertTrue(maxAbs <= bound && maxAbs > 0.8 * bound, "kaiming-uniform(a=sqrt 5) bound 1/sqrt(in)");
            for (float v : weights.readFloats("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")) {
                assertEquals(0f, v);
            }
            assertEquals(Map.of("format", "pt"), weights.metadata());
        }
    }

    @Test
    void roundTripRestoresEveryValueAndTheOutput() throws Exception {
        Path adapter = dir.resolve("adapter");
        long[] ids = {5, 6, 7, 8};
        List<float[]> saved = new ArrayList<>();
        float[][] logits;
        try (CausalLm model = CausalLm.load(modelDir, OPTIONS)) {
            LoraAdapters adapters = LoraAdapters.attach(model, SPEC, SEED);
            train(model);
            adapters.save(adapter, "base");
            model.trainableParameters().forEach(p -> saved.add(p.array().toFloatArray()));
            logits = model.logits(ids);
        }
        try (CausalLm model = CausalLm.load(modelDir, OPTIONS)) {
            LoraAdapters.load(model, adapter);
            List<TrainableParameter> loaded = model.trainableParameters();
            assertEquals(saved.size(), loaded.size());
            for (int i = 0; i < saved.size(); i++) {
                assertArrayEquals(saved.get(i), loaded.get(i).array().toFloatArray(), loaded.get(i).name());
            }
            float[][] again = model.logits(ids);
            for (int p = 0; p < ids.length; p++) {
                assertArrayEquals(logits[p], again[p], 0f);
            }
        }
    }

    @Test
    void mismatchedAdapterNamesEveryProblem() throws Exception {
        Path adapter = dir.resolve("adapter");
        try (CausalLm model = CausalLm.load(modelDir, OPTIONS)) {
            LoraAdapters.attach(model, SPEC, SEED).save(adapter, "base");
        }
        Path configFile = adapter.resolve("adapter_config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(configFile.toFile());
        config.put("r", 8);
        config.putArray("target_modules").add("q_proj").add("v_proj").add("o_proj");
        JSON.writeValue(configFile.toFile(), config);
        try (CausalLm model = CausalLm.load(modelDir, OPTIONS)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LoraAdapters.load(model, adapter));
            String msg = e.getMessage();
            assertTrue(msg.contains("missing tensor 'base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight'"),
                    msg);
            assertTrue(msg.contains("'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight' has shape [4, 64], "
                    + "the model needs [8, 64]"), msg);
        }

        config.put("use_dora", true);
        JSON.writeValue(configFile.toFile(), config);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.read(adapter)).getMessage()
                .contains("'use_dora'"));
        config.put("use_dora", false);
        config.put("peft_type", "IA3");
        JSON.writeValue(configFile.toFile(), config);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.read(adapter)).getMessage()
                .contains("'peft_type'"));
        Files.delete(configFile);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.read(adapter)).getMessage()
                .contains("adapter_config.json: not found"));
    }
}
