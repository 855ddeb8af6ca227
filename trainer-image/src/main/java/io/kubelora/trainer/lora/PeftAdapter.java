package io.kubelora.trainer.lora;

import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A PEFT LoRA adapter folder: {@code adapter_config.json} plus {@code adapter_model.safetensors} holding
 * {@code base_model.model.<module path>.lora_A.weight} [r, in] and {@code ...lora_B.weight} [out, r] in fp32
 * (the layout peft's save_pretrained writes, adapter name stripped).
 */
public final class PeftAdapter {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** PEFT prefixes every adapted module path with this (PeftModel -> LoraModel -> the HF model). */
    public static final String KEY_PREFIX = "base_model.model.";

    private PeftAdapter() {
    }

    /**
     * PEFT key of the A matrix [r, in], e.g. {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}.
     */
    public static String loraA(int layer, String module) {
        return KEY_PREFIX + WeightNames.modulePath(layer, module) + ".lora_A.weight";
    }

    /** PEFT key of the B matrix [out, r]. */
    public static String loraB(int layer, String module) {
        return KEY_PREFIX + WeightNames.modulePath(layer, module) + ".lora_B.weight";
    }

    /** Writes config and weights into {@code dir} (created if needed). */
    public static void write(Path dir, PeftAdapterConfig config, List<TrainableParameter> parameters)
            throws IOException {
        Files.createDirectories(dir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (TrainableParameter p : parameters) {
            entries.add(new SafetensorsWriter.Entry(p.name(), DType.F32, p.array().getShape().getShape()));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve(WEIGHTS_FILE), entries,
                Map.of("format", "pt"))) {
            for (TrainableParameter p : parameters) {
                writer.write(p.name(), p.array().toFloatArray());
            }
        }
        config.write(dir);
    }

    /** PEFT key -> shape of every matrix an adapter of {@code adapter} has on a {@code model} model. */
    public static Map<String, long[]> expectedShapes(ModelConfig model, PeftAdapterConfig adapter) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < model.numHiddenLayers(); layer++) {
            for (String module : adapter.targetModules()) {
                long[] shape = model.linearShape(module); // [out, in]
                shapes.put(loraA(layer, module), new long[] {adapter.rank(), shape[1]});
                shapes.put(loraB(layer, module), new long[] {shape[0], adapter.rank()});
            }
        }
        return shapes;
    }

    /**
     * Reads the adapter matrices of {@code dir}, checking them against {@code expectedShapes} (PEFT key ->
     * shape, from the model and the adapter config). Every missing, unexpected or mis-shaped tensor is
     * listed in one exception.
     */
    public static Map<String, float[]> readWeights(Path dir, Map<String, long[]> expectedShapes) {
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": not found (a PEFT adapter folder needs " + WEIGHTS_FILE
                    + "; adapter_model.bin pickles are not read)");
        }
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            List<String> problems = new ArrayList<>();
            TreeSet<String> unexpected = new TreeSet<>();
            for (TensorInfo t : weights.tensors()) {
                if (!expectedShapes.containsKey(t.name())) {
                    unexpected.add(t.name());
                }
            }
            if (!unexpected.isEmpty()) {
                problems.add("tensors the model has no place for: " + unexpected);
            }
            for (Map.Entry<String, long[]> e : expectedShapes.entrySet()) {
                var info = weights.find(e.getKey());
                if (info.isEmpty()) {
                    problems.add("missing tensor '" + e.getKey() + "'");
                } else if (!Arrays.equals(info.get().shape(), e.getValue())) {
                    problems.add("tensor '" + e.getKey() + "' has shape " + Arrays.toString(info.get().shape())
                            + ", the model needs " + Arrays.toString(e.getValue()));
                } else if (!info.get().dtype().isFloatingPoint()) {
                    problems.add("tensor '" + e.getKey() + "' has dtype " + info.get().dtype().headerName());
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(file + " does not match the model: " + String.join("; ", problems));
            }
            Map<String, float[]> values = new LinkedHashMap<>();
            for (String name : expectedShapes.keySet()) {
                values.put(name, weights.readFloats(name));
            }
            return values;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
