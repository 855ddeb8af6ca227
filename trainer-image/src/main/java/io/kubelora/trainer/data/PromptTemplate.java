package io.kubelora.trainer.data;

import io.kubelora.trainer.data.template.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a prompt is written for the model, the same way the training data was: the Alpaca prompt (alpaca and dolly
 * data), the model's chat template with the assistant header opened (chat and ShareGPT data), or the text as it is
 * (text data). The adapter records which one it was trained with, so that generating with it asks the same way.
 */
public enum PromptTemplate {
    ALPACA, CHAT, NONE;

    /** The template that writes prompts as {@code format} writes its records. */
    public static PromptTemplate of(DatasetFormat format) {
        return switch (format) {
            case ALPACA, DOLLY -> ALPACA;
            case CHAT, SHAREGPT -> CHAT;
            case TEXT -> NONE;
            case AUTO -> throw new IllegalArgumentException("resolve the auto format first");
        };
    }

    /** alpaca, chat or none: the spelling of the command line and of the adapter's record. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The template labelled {@code label} (alpaca, chat or none). */
    public static PromptTemplate ofLabel(String label) {
        for (PromptTemplate t : values()) {
            if (t.label().equals(label)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown prompt template \"" + label + "\": expected alpaca, chat or none");
    }

    /** A prompt as text and tokens, ready to be continued. */
    public record Formatted(String text, long[] ids) {
    }

    /**
     * Writes {@code prompt} as training wrote its examples, up to where the answer starts.
     *
     * @throws IllegalArgumentException when the prompt cannot be written this way (a conversation for the Alpaca
     *                                  prompt or plain text), or the model has no chat template
     */
    public Formatted format(Prompt prompt, TextTokenizer tokenizer) {
        return switch (this) {
            case ALPACA -> {
                Prompt.Instruction i = prompt.asInstruction();
                String text = AlpacaEncoder.prompt(i.instruction(), i.input());
                yield new Formatted(text, tokenizer.encode(text, true));
            }
            case CHAT -> {
                String text = chatTemplate(tokenizer).render(prompt.asMessages(), true);
                yield new Formatted(text, tokenizer.encode(text, false));
            }
            case NONE -> new Formatted(prompt.asText(), tokenizer.encode(prompt.asText(), true));
        };
    }

    /**
     * The ids that end an answer: the tokenizer's EOS and, with the chat template, the special token that closes an
     * assistant turn (Llama 3's {@code <|eot_id|>}, ChatML's {@code <|im_end|>}, Mistral's {@code </s>}).
     */
    public Set<Long> stopIds(TextTokenizer tokenizer) {
        Set<Long> stop = new java.util.HashSet<>();
        stop.add(tokenizer.eosTokenId());
        if (this == CHAT) {
            String probe = "kubelora-probe-reply";
            List<Map<String, Object>> messages = new ArrayList<>(List.of(Map.of("role", "user", "content", "hi"),
                    Map.of("role", "assistant", "content", probe)));
            String rendered = chatTemplate(tokenizer).render(messages, false);
            int after = rendered.lastIndexOf(probe) + probe.length();
            String first = ChatEncoder.firstSpecialToken(tokenizer.specialTokens(), rendered, after);
            if (first != null) {
                long[] ids = tokenizer.encode(first, false);
                if (ids.length == 1) {
                    stop.add(ids[0]);
                }
            }
        }
        return stop;
    }

    private static ChatTemplate chatTemplate(TextTokenizer tokenizer) {
        String source = tokenizer.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
                "the chat prompt template needs a chat_template in the model's tokenizer_config.json, and it has "
                        + "none"));
        return ChatTemplate.compile(source, tokenizer.config().templateVariables());
    }
}
