package io.kubelora.trainer.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.data.template.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code {"messages": [{"role", "content"}, ...]}} rendered with the model's chat template; loss on the
 * assistant turns only.
 *
 * <p>Finding the assistant turns in the rendered text: the conversation is rendered once in full.
 * An assistant turn at message i starts where {@code render(messages[0..i), add_generation_prompt)}
 * ends (that render must be a prefix of the full one, which holds for prefix-stable templates such as
 * Llama 3's and Qwen's) and ends after the first special token that follows (the turn's
 * {@code <|eot_id|>} / {@code <|im_end|>}), so the model learns to close its turns. Tokens are then
 * labelled by where they start in the text: a token that starts inside a turn is trained. Everything
 * the template adds inside the turn (for example Qwen 3's empty think block on the last turn) is
 * trained with it, as the model would produce it after the generation prompt.
 *
 * <p>An assistant message whose content holds a special token's text ends its turn there.
 */
final class ChatEncoder implements RecordEncoder {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MESSAGE = new TypeReference<>() {
    };

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;

    ChatEncoder(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        String source = tokenizer.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
                "the chat format needs a chat_template in the model's tokenizer_config.json, and it has none"));
        this.template = ChatTemplate.compile(source, tokenizer.config().templateVariables());
    }

    @Override
    public Example encode(JsonNode record) {
        List<Map<String, Object>> messages = messages(record);
        String full = render(messages, false);
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if ("assistant".equals(messages.get(i).get("role"))) {
                spans.add(assistantSpan(messages, i, full));
            }
        }
        TextTokenizer.TokenSpans encoded = tokenizer.encodeWithOffsets(full);
        long[] tokens = encoded.ids();
        boolean[] trainable = new boolean[tokens.length];
        int span = 0;
        for (int t = 0; t < tokens.length && span < spans.size(); t++) {
            int start = encoded.starts()[t];
            while (span < spans.size() && start >= spans.get(span)[1]) {
                span++;
            }
            trainable[t] = span < spans.size() && start >= spans.get(span)[0];
        }
        return Example.of(tokens, trainable);
    }

    /** [start, end) in {@code full} of the assistant turn {@code messages[index]}. */
    private int[] assistantSpan(List<Map<String, Object>> messages, int index, String full) {
        if (index == 0) {
            throw new InvalidRecordException("messages[0] is an assistant turn: a conversation starts with a "
                    + "system or user message, which the assistant answers");
        }
        String prompt = render(messages.subList(0, index), true);
        if (!full.startsWith(prompt)) {
            throw new InvalidRecordException("the chat template renders messages[0.." + (index - 1)
                    + "] differently once later messages follow, so assistant turn messages[" + index
                    + "] cannot be located");
        }
        int start = prompt.length();
        int first = -1;
        int end = -1;
        for (String special : tokenizer.specialTokens()) {
            int at = full.indexOf(special, start);
            if (at >= 0 && (first < 0 || at < first || at == first && at + special.length() > end)) {
                first = at;
                end = at + special.length();
            }
        }
        if (end < 0) {
            throw new InvalidRecordException("the chat template writes no special token after assistant turn "
                    + "messages[" + index + "], so its end cannot be found");
        }
        return new int[] {start, end};
    }

    private String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        try {
            return template.render(messages, addGenerationPrompt);
        } catch (ChatTemplate.ChatTemplateException e) {
            throw new InvalidRecordException(e.getMessage());
        }
    }

    private static List<Map<String, Object>> messages(JsonNode record) {
        JsonNode list = record.get("messages");
        if (list == null || list.isNull()) {
            throw new InvalidRecordException("has no \"messages\" (a list of {role, content})");
        }
        if (!list.isArray()) {
            throw new InvalidRecordException("\"messages\" must be a list, not " + InvalidRecordException.kind(list));
        }
        if (list.isEmpty()) {
            throw new InvalidRecordException("\"messages\" is empty");
        }
        List<Map<String, Object>> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode message = list.get(i);
            String where = "messages[" + i + "] ";
            if (!message.isObject()) {
                throw new InvalidRecordException(where + "must be an object, not " + InvalidRecordException.kind(message));
            }
            String role = InvalidRecordException.requiredString(message, "role", where);
            if (!ROLES.contains(role)) {
                throw new InvalidRecordException(where + "has the unknown role \"" + role
                        + "\": expected system, user, assistant or tool");
            }
            InvalidRecordException.requiredString(message, "content", where);
            messages.add(JSON.convertValue(message, MESSAGE));
        }
        return messages;
    }
}
