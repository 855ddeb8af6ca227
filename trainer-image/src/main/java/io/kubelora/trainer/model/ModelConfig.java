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
 * The fields of a Hugging Face {@code config.json} the decoder needs. Unknown fields are ignored; a
 * missing required field is an error naming the file and the field. Optional fields get the
 * defaults of the transformers config classes.
 *
 * @param architecture          from {@code architectures[0]}
 * @param hiddenSize            model width D
 * @param intermediateSize      MLP width I
 * @param numHiddenLayers       decoder layers L
 * @param numAttentionHeads     query heads H
 * @param numKeyValueHeads      key/value heads (GQA), divides H; defaults to H
 * @param headDim               per-head width; defaults to D / H
 * @param rmsNormEps            RMSNorm epsilon
 * @param ropeTheta             RoPE base
 * @param ropeScaling           null for plain RoPE
 * @param vocabSize             V
 * @param tieWordEmbeddings     lm_head shares the embedding matrix
 * @param torchDtype            storage dtype name, e.g. "bfloat16"
 * @param attentionBias         q/k/v projections have a bias (always for Qwen2; Llama also biases o_proj)
 * @param maxPositionEmbeddings longest supported context
 * @param slidingWindow         Mistral sliding-window attention span, null for full causal attention
 * @param bosTokenId            may be null
 * @param eosTokenIds           one or more ids (Llama 3 lists several)
 * @param padTokenId            may be null
 */
public record ModelConfig(
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int vocabSize,
        boolean tieWordEmbeddings,
        String torchDtype,
        boolean attentionBias,
        int maxPositionEmbeddings,
        Integer slidingWindow,
        Long bosTokenId,
        List<Long> eosTokenIds,
        Long padTokenId) {

    public static final String FILE_NAME = "config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ModelConfig {
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("vocab_size", vocabSize);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
        if (rmsNormEps <= 0 || ropeTheta <= 0) {
            throw new IllegalArgumentException("rms_norm_eps and rope_theta must be positive");
        }
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Whether o_proj has a bias (Llama with attention_bias). */
    public boolean outputProjectionBias() {
        return attentionBias && architecture == Architecture.LLAMA;
    }

    /** [out, in] of a decoder linear. */
    public long[] linearShape(String module) {
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        return switch (module) {
            case "q_proj" -> new long[] {q, hiddenSize};
            case "k_proj", "v_proj" -> new long[] {kv, hiddenSize};
            case "o_proj" -> new long[] {hiddenSize, q};
            case "gate_proj", "up_proj" -> new long[] {intermediateSize, hiddenSize};
            case "down_proj" -> new long[] {hiddenSize, intermediateSize};
            default -> throw new IllegalArgumentException("not a decoder linear: '" + module + "'");
        };
    }

    /** Whether the decoder linear {@code module} carries a bias. */
    public boolean hasBias(String module) {
        return switch (module) {
            case "q_proj", "k_proj", "v_proj" -> attentionBias;
            case "o_proj" -> outputProjectionBias();
            default -> false;
        };
    }

    /** Reads {@code modelDir/config.json}. */
    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file + ": not found (a Hugging Face model folder needs config.json)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(file + ": must hold a JSON object");
        }
        try {
            return fromJson(new Fields(file, root));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this config as {@code modelDir/config.json}, with the Hugging Face field names. */
    public void write(Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(architecture.hfName());
        n.put("model_type", architecture.modelType());
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode s = n.putObject("rope_scaling");
            s.put("rope_type", ropeScaling.type());
            s.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals(RopeScaling.LLAMA3)) {
                s.put("low_freq_factor", ropeScaling.lowFreqFactor());
                s.put("high_freq_factor", ropeScaling.highFreqFactor());
                s.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        }
        n.put("vocab_size", vocabSize);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("torch_dtype", torchDtype);
        if (architecture == Architecture.LLAMA) {
            n.put("attention_bias", attentionBias);
        }
        n.put("max_position_embeddings", maxPositionEmbeddings);
        if (architecture != Architecture.LLAMA) {
            if (slidingWindow == null) {
                n.putNull("sliding_window");
            } else {
                n.put("sliding_window", slidingWindow);
            }
        }
        putId(n, "bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) {
            n.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            eosTokenIds.forEach(n.putArray("eos_token_id")::add);
        }
        putId(n, "pad_token_id", padTokenId);
        JSON.writeValue(modelDir.resolve(FILE_NAME).toFile(), n);
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
        return new ModelConfig(architecture, hidden, f.requiredInt("intermediate_size"),
                f.requiredInt("num_hidden_layers"), heads, kvHeads == null ? heads : kvHeads,
                headDim == null ? hidden / heads : headDim, eps == null ? 1e-6 : eps,
                theta == null ? 10000.0 : theta, ropeScaling(f), f.requiredInt("vocab_size"),
                tie != null && tie, dtype,
                architecture == Architecture.QWEN2 || (architecture == Architecture.LLAMA
                        && attentionBias != null && attentionBias),
                maxPositions == null ? 2048 : maxPositions, slidingWindow,
                f.optionalLong("bos_token_id"), f.longList("eos_token_id"), f.optionalLong("pad_token_id"));
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
        Fields sf = new Fields(f.file, s, "rope_scaling.");
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

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    /** Typed access to config.json fields with errors naming the file and field. */
    private record Fields(Path file, JsonNode root, String prefix) {
        Fields(Path file, JsonNode root) {
            this(file, root, "");
        }

        ModelLoadException error(String field, String problem) {
            return new ModelLoadException(file + ": field '" + prefix + field + "' " + problem);
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
