package io.kubelora.trainer.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.model.WeightNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * adapter_config.json of a PEFT LoRA adapter. Written with the fields peft 0.17 writes (keys sorted, as
 * peft does), so that peft, vLLM and TGI load it; read back strictly: options this trainer cannot honour
 * (DoRA, bias training, per-layer ranks, layer selection, fan_in_fan_out) are refused by name.
 *
 * @param baseModelNameOrPath the base model id or path, may be null
 * @param rank                r
 * @param alpha               lora_alpha
 * @param dropout             lora_dropout
 * @param targetModules       concrete decoder linear names, in decoder order
 * @param useRslora           scale by alpha/sqrt(r) instead of alpha/r
 */
public record PeftAdapterConfig(String baseModelNameOrPath, int rank, double alpha, double dropout,
                                List<String> targetModules, boolean useRslora) {

    public static final String FILE_NAME = "adapter_config.json";
    public static final String PEFT_VERSION = "0.17.0";
    /** peft's target_modules shorthand for every linear but the output head. */
    public static final String ALL_LINEAR = "all-linear";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT);

    public PeftAdapterConfig {
        targetModules = List.copyOf(targetModules);
    }

    /** The same adapter, described as trained on {@code baseModel}. */
    public PeftAdapterConfig withBaseModel(String baseModel) {
        return new PeftAdapterConfig(baseModel, rank, alpha, dropout, targetModules, useRslora);
    }

    /** Whether an adapter of {@code other} has the same matrices and scaling (the base model and dropout aside). */
    public boolean sameShapeAs(PeftAdapterConfig other) {
        return rank == other.rank && targetModules.equals(other.targetModules) && scaling() == other.scaling();
    }

    /** alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** Writes {@code dir/adapter_config.json}. */
    public void write(Path dir) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", baseModelNameOrPath);
        n.put("bias", "none");
        n.putNull("corda_config");
        n.putNull("eva_config");
        n.putNull("exclude_modules");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layer_replication");
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        n.putObject("loftq_config");
        if (alpha == Math.rint(alpha)) {
            n.put("lora_alpha", (long) alpha);
        } else {
            n.put("lora_alpha", alpha);
        }
        n.put("lora_bias", false);
        n.put("lora_dropout", dropout);
        n.putNull("megatron_config");
        n.put("megatron_core", "megatron.core");
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("peft_version", PEFT_VERSION);
        n.put("qalora_group_size", 16);
        n.put("r", rank);
        n.putObject("rank_pattern");
        n.putNull("revision");
        targetModules.forEach(n.putArray("target_modules")::add);
        n.putNull("target_parameters");
        n.put("task_type", "CAUSAL_LM");
        n.putNull("trainable_token_indices");
        n.put("use_dora", false);
        n.put("use_qalora", false);
        n.put("use_rslora", useRslora);
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(FILE_NAME).toFile(), n); // keys in sorted order, like peft's sort_keys=True
    }

    /** Reads {@code dir/adapter_config.json}; every problem names the file and the field. */
    public static PeftAdapterConfig read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": not found (a PEFT adapter folder needs " + FILE_NAME + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": must hold a JSON object");
        }
        String peftType = root.path("peft_type").asText("");
        if (!peftType.equals("LORA")) {
            throw problem(file, "peft_type", "must be \"LORA\", got " + root.get("peft_type"));
        }
        JsonNode r = root.get("r");
        if (r == null || !r.isIntegralNumber() || r.asInt() <= 0) {
            throw problem(file, "r", "must be a positive integer, got " + r);
        }
        JsonNode alpha = root.get("lora_alpha");
        if (alpha == null || !alpha.isNumber() || alpha.asDouble() <= 0) {
            throw problem(file, "lora_alpha", "must be a positive number, got " + alpha);
        }
        refuseIfSet(file, root, "use_dora", "DoRA adapters are not supported");
        refuseIfSet(file, root, "fan_in_fan_out", "transposed (Conv1D) weights are not supported");
        refuseIfSet(file, root, "lora_bias", "adapter biases are not supported");
        if (!root.path("bias").asText("none").equals("none")) {
            throw problem(file, "bias", "only \"none\" is supported, got " + root.get("bias"));
        }
        for (String field : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode v = root.get(field);
            if (v != null && !v.isNull() && !v.isEmpty()) {
                throw problem(file, field, "per-module ranks or alphas are not supported");
            }
        }
        for (String field : List.of("layers_to_transform", "modules_to_save", "layer_replication")) {
            JsonNode v = root.get(field);
            if (v != null && !v.isNull() && !(v.isArray() && v.isEmpty())) {
                throw problem(file, field, "is not supported, got " + v);
            }
        }
        JsonNode dropout = root.get("lora_dropout");
        JsonNode base = root.get("base_model_name_or_path");
        return new PeftAdapterConfig(base == null || base.isNull() ? null : base.asText(), r.asInt(),
                alpha.asDouble(), dropout == null || dropout.isNull() ? 0.0 : dropout.asDouble(),
                targetModules(file, root.get("target_modules")), root.path("use_rslora").asBoolean(false));
    }

    private static List<String> targetModules(Path file, JsonNode node) {
        List<String> names = new ArrayList<>();
        if (node != null && node.isTextual() && node.asText().equals(ALL_LINEAR)) {
            return WeightNames.LINEAR_MODULES;
        }
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw problem(file, "target_modules", "must be a non-empty list of module names or \"all-linear\", got "
                    + node);
        }
        for (JsonNode n : node) {
            if (!WeightNames.LINEAR_MODULES.contains(n.asText())) {
                throw problem(file, "target_modules", "names " + n + "; supported: " + WeightNames.LINEAR_MODULES);
            }
            names.add(n.asText());
        }
        return WeightNames.LINEAR_MODULES.stream().filter(names::contains).toList();
    }

    private static void refuseIfSet(Path file, JsonNode root, String field, String why) {
        if (root.path(field).asBoolean(false)) {
            throw problem(file, field, "is true: " + why);
        }
    }

    private static IllegalArgumentException problem(Path file, String field, String message) {
        return new IllegalArgumentException(file + ": field '" + field + "' " + message);
    }
}
