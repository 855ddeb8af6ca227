package io.kubelora.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ModelConfig} as Hugging Face's {@code config.json}: unknown fields are ignored, a missing required field
 * is an error naming the file and the field, and optional ones take the transformers defaults.
 */
final class ModelConfigJson {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelConfigJson() {
    }

    /** Reads {@code modelDir/config.json}. */
    static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve(ModelConfig.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file + ": not found (a Hugging Face model folder needs config.json)");
        }
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    /** Parses config.json text; errors name {@code origin} (a file path or resource name) and the field. */
    static ModelConfig parse(String json, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(origin + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(origin + ": must hold a JSON object");
        }
        try {
            return fromJson(new Fields(origin, root));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(origin + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code c} as {@code modelDir/config.json}, with the Hugging Face field names. */
    static void write(ModelConfig c, Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(c.architecture().hfName());
        n.put("model_type", c.architecture().modelType());
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.intermediateSize());
        n.put("num_hidden_layers", c.numHiddenLayers());
        n.put("num_attention_heads", c.numAttentionHeads());
        n.put("num_key_value_heads", c.numKeyValueHeads());
        n.put("head_dim", c.headDim());
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", c.rmsNormEps());
        n.put("rope_theta", c.ropeTheta());
        if (c.ropeScaling() == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode s = n.putObject("rope_scaling");
            s.put("rope_type", c.ropeScaling().type());
            s.put("factor", c.ropeScaling().factor());
            if (c.ropeScaling().type().equals(RopeScaling.LLAMA3)) {
                s.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
                s.put("high_freq_factor", c.ropeScaling().highFreqFactor());
                s.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositionEmbeddings());
            }
        }
        n.put("vocab_size", c.vocabSize());
        n.put("tie_word_embeddings", c.tieWordEmbeddings());
        n.put("torch_dtype", c.torchDtype());
        if (c.architecture() == Architecture.LLAMA) {
            n.put("attention_bias", c.attentionBias());
        }
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        if (c.architecture() != Architecture.LLAMA) {
            if (c.slidingWindow() == null) {
                n.putNull("sliding_window");
            } else {
                n.put("sliding_window", c.slidingWindow());
            }
        }
        putId(n, "bos_token_id", c.bosTokenId());
        if (c.eosTokenIds().size() == 1) {
            n.put("eos_token_id", c.eosTokenIds().get(0));
        } else if (!c.eosTokenIds().isEmpty()) {
            c.eosTokenIds().forEach(n.putArray("eos_token_id")::add);
        }
        putId(n, "pad_token_id", c.padTokenId());
        JSON.writeValue(modelDir.resolve(ModelConfig.FILE_NAME).toFile(), n);
    }

    private static void putId(ObjectNode n, String field, Long id) {
        if (id != null) {
            n.put(field, id);
        }
    }

    private static ModelConfig fromJson(Fields f) {
        JsonNode architectures = f.root.get("architectures");
        if (architectures == null || !architectures.isArray() || architectures.isEmpty()
                || !architectures.get(0).isTextual()) {
            throw f.error("architectures", "missing or not a non-empty list of names");
        }
        Architecture architecture = Architecture.fromHfName(architectures.get(0).asText());
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        Integer headDim = f.optionalInt("head_dim");
        if (headDim == null && hidden % heads != 0) {
            throw f.error("hidden_size", hidden + " is not a multiple of num_attention_heads " + heads
                    + " and head_dim is not set");
        }
        Integer kvHeads = f.optionalInt("num_key_value_heads");
        Boolean attentionBias = f.optionalBool("attention_bias");
        Integer slidingWindow = architecture == Architecture.MISTRAL ? f.optionalInt("sliding_window") : null;
        if (architecture == Architecture.QWEN2 && Boolean.TRUE.equals(f.optionalBool("use_sliding_window"))) {
            throw f.error("use_sliding_window", "sliding-window attention is not supported for Qwen2");
        }
        if (Boolean.TRUE.equals(f.optionalBool("mlp_bias"))) {
            throw f.error("mlp_bias", "true is not supported (MLP projections without bias only)");
        }
        String activation = f.root.path("hidden_act").asText("silu");
        if (!activation.equals("silu")) {
            throw f.error("hidden_act", "'" + activation + "' is not supported (the SwiGLU MLP uses silu)");
        }
        Boolean tie = f.optionalBool("tie_word_embeddings");
        Double eps = f.optionalDouble("rms_norm_eps");
        Double theta = f.optionalDouble("rope_theta");
        Integer maxPositions = f.optionalInt("max_position_embeddings");
        String dtype = f.root.path("torch_dtype").asText(f.root.path("dtype").asText("float32"));
        ModelConfig.Builder b = ModelConfig.builder(architecture).hiddenSize(hidden)
                .intermediateSize(f.requiredInt("intermediate_size"))
                .numHiddenLayers(f.requiredInt("num_hidden_layers"))
                .numAttentionHeads(heads).ropeScaling(ropeScaling(f)).vocabSize(f.requiredInt("vocab_size"))
                .tieWordEmbeddings(tie != null && tie).torchDtype(dtype).slidingWindow(slidingWindow)
                .bosTokenId(f.optionalLong("bos_token_id")).eosTokenIds(f.longList("eos_token_id"))
                .padTokenId(f.optionalLong("pad_token_id"));
        if (kvHeads != null) {
            b.numKeyValueHeads(kvHeads);
        }
        if (headDim != null) {
            b.headDim(headDim);
        }
        if (eps != null) {
            b.rmsNormEps(eps);
        }
        if (theta != null) {
            b.ropeTheta(theta);
        }
        if (architecture == Architecture.LLAMA && attentionBias != null) {
            b.attentionBias(attentionBias);
        }
        if (maxPositions != null) {
            b.maxPositionEmbeddings(maxPositions);
        }
        return b.build();
    }

    private static RopeScaling ropeScaling(Fields f) {
        JsonNode s = f.root.get("rope_scaling");
        if (s == null || s.isNull()) {
            return null;
        }
        if (!s.isObject()) {
            throw f.error("rope_scaling", "must be an object or null");
        }
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        Fields sf = new Fields(f.origin, s, "rope_scaling.");
        return switch (type) {
            case "default" -> null;
            case RopeScaling.LINEAR -> RopeScaling.linear(sf.requiredDouble("factor"));
            case RopeScaling.LLAMA3 -> RopeScaling.llama3(sf.requiredDouble("factor"),
                    sf.requiredDouble("low_freq_factor"), sf.requiredDouble("high_freq_factor"),
                    sf.requiredInt("original_max_position_embeddings"));
            default -> throw f.error("rope_scaling.rope_type", "'" + type
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    /** Typed access to config.json fields with errors naming the file and field. */
    private record Fields(String origin, JsonNode root, String prefix) {
        Fields(String origin, JsonNode root) {
            this(origin, root, "");
        }

        ModelLoadException error(String field, String problem) {
            return new ModelLoadException(origin + ": field '" + prefix + field + "' " + problem);
        }

        JsonNode present(String field) {
            JsonNode v = root.get(field);
            return v == null || v.isNull() ? null : v;
        }

        int requiredInt(String field) {
            Integer v = optionalInt(field);
            if (v == null) {
                throw error(field, "is required but missing");
            }
            return v;
        }

        Integer optionalInt(String field) {
            JsonNode v = present(field);
            if (v == null) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw error(field, "must be an integer, got " + v);
            }
            return v.asInt();
        }

        Long optionalLong(String field) {
            JsonNode v = present(field);
            if (v == null) {
                return null;
            }
            if (!v.isIntegralNumber()) {
                throw error(field, "must be an integer, got " + v);
            }
            return v.asLong();
        }

        double requiredDouble(String field) {
            Double v = optionalDouble(field);
            if (v == null) {
                throw error(field, "is required but missing");
            }
            return v;
        }

        Double optionalDouble(String field) {
            JsonNode v = present(field);
            if (v == null) {
                return null;
            }
            if (!v.isNumber()) {
                throw error(field, "must be a number, got " + v);
            }
            return v.asDouble();
        }

        Boolean optionalBool(String field) {
            JsonNode v = present(field);
            if (v == null) {
                return null;
            }
            if (!v.isBoolean()) {
                throw error(field, "must be true or false, got " + v);
            }
            return v.asBoolean();
        }

        List<Long> longList(String field) {
            JsonNode v = present(field);
            List<Long> ids = new ArrayList<>();
            if (v == null) {
                return ids;
            }
            if (v.isIntegralNumber()) {
                ids.add(v.asLong());
                return ids;
            }
            if (!v.isArray()) {
                throw error(field, "must be an integer or a list of integers, got " + v);
            }
            for (JsonNode id : v) {
                if (!id.isIntegralNumber()) {
                    throw error(field, "must hold integers, got " + id);
                }
                ids.add(id.asLong());
            }
            return ids;
        }
    }
}
