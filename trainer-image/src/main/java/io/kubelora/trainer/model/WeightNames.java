package io.kubelora.trainer.model;

/**
 * The Hugging Face tensor names of the supported architectures (all three share the Llama layout), and
 * the PEFT adapter keys derived from them. The only place these strings are spelled out.
 */
public final class WeightNames {

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";
    /** PEFT prefixes every adapted module path with this (PeftModel -> LoraModel -> the HF model). */
    public static final String PEFT_PREFIX = "base_model.model.";

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

    /** PEFT key of the A matrix [r, in], e.g. {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}. */
    public static String loraA(int layer, String module) {
        return PEFT_PREFIX + modulePath(layer, module) + ".lora_A.weight";
    }

    /** PEFT key of the B matrix [out, r]. */
    public static String loraB(int layer, String module) {
        return PEFT_PREFIX + modulePath(layer, module) + ".lora_B.weight";
    }
}
