package io.kubelora.trainer.model;

import java.util.List;

/**
 * The Hugging Face tensor and module names of the supported architectures (all three share the Llama layout).
 * The only place these strings are spelled out.
 */
public final class WeightNames {

    /** The decoder linears of every supported architecture, in the order of a decoder layer. */
    public static final List<String> LINEAR_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    private WeightNames() {
    }

    public static String inputNorm(int layer) {
        return "model.layers." + layer + ".input_layernorm.weight";
    }

    public static String postAttentionNorm(int layer) {
        return "model.layers." + layer + ".post_attention_layernorm.weight";
    }

    /** The module path of a decoder linear, e.g. {@code model.layers.3.self_attn.q_proj}. */
    public static String modulePath(int layer, String module) {
        String block = switch (module) {
            case "q_proj", "k_proj", "v_proj", "o_proj" -> "self_attn";
            case "gate_proj", "up_proj", "down_proj" -> "mlp";
            default -> throw new IllegalArgumentException("not a decoder linear: '" + module + "'");
        };
        return "model.layers." + layer + "." + block + "." + module;
    }

    public static String weight(int layer, String module) {
        return modulePath(layer, module) + ".weight";
    }

    public static String bias(int layer, String module) {
        return modulePath(layer, module) + ".bias";
    }
}
