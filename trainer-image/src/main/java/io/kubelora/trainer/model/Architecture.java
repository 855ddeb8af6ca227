package io.kubelora.trainer.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The decoder-only architectures the trainer runs, by their Hugging Face {@code architectures} name. */
public enum Architecture {
    /** Llama 2/3.x: optional q/k/v/o bias ({@code attention_bias}). */
    LLAMA("LlamaForCausalLM"),
    /** Mistral: Llama layout, optional sliding-window attention. */
    MISTRAL("MistralForCausalLM"),
    /** Qwen2/2.5: Llama layout with q/k/v bias always present. */
    QWEN2("Qwen2ForCausalLM");

    private final String hfName;

    Architecture(String hfName) {
        this.hfName = hfName;
    }

    /** The name in config.json's {@code architectures} list. */
    public String hfName() {
        return hfName;
    }

    /** The {@code model_type} value Hugging Face writes for this architecture. */
    public String modelType() {
        return switch (this) {
            case LLAMA -> "llama";
            case MISTRAL -> "mistral";
            case QWEN2 -> "qwen2";
        };
    }

    /** The architecture called {@code hfName}, or an exception listing the supported ones. */
    public static Architecture fromHfName(String hfName) {
        for (Architecture a : values()) {
            if (a.hfName.equals(hfName)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported architecture '" + hfName + "' (supported: "
                + Arrays.stream(values()).map(Architecture::hfName).collect(Collectors.joining(", ")) + ")");
    }
}
