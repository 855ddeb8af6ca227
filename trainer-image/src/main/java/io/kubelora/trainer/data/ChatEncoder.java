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
 * Llama 3's and Qwen's). It ends after the first special token that follows the reply's own text (the
 * turn's {@code <|eot_id|>} / {@code <|im_end|>}), found by its character offset in the rendered text: a reply
 * that quotes special-token text is trained up to its real end of turn, so the model learns to close its turns.
 * Tokens are then labelled by where they start in the text: a token that starts inside a turn is trained.
 * Everything the template adds inside the turn (for example Qwen 3's empty think block on the last turn) is
 * trained with it, as the model would produce it after the generation prompt.
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
        return encode(messages(record));
    }

    /** The conversation up to its last assistant turn (all of it when it has none). */
    @Override
    public Prompt prompt(JsonNode record) {
        return promptOf(messages(record));
    }

    static Prompt promptOf(List<Map<String, Object>> messages) {
        int end = messages.size();
        while (end > 1 && "assistant".equals(messages.get(end - 1).get("role"))) {
            end--;
        }
        return new Prompt.Conversation(messages.subList(0, end));
    }

    /** A conversation of {role, content} maps, checked: loss on its assistant turns. */
    Example encode(List<Map<String, Object>> messages) {
        String full = render(messages, false);
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if ("assistant".equals(messages.get(i).get("role"))) {
                spans.add(assistantSpan(messages, i, full));
            }
        }
        TextTokenizer.TokenSpans encoded = tokenizer.encodeWithOffsets(full, false);
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
        String reply = String.valueOf(messages.get(index).get("content")).strip();
        int replyEnd = start;
        if (!reply.isEmpty()) {
            int at = full.indexOf(reply, start);
            if (at >= 0) {
                replyEnd = at + reply.length();
            } else {
                String quoted = firstSpecialToken(tokenizer.specialTokens(), reply, 0);
                if (quoted != null) {
                    throw new InvalidRecordException("messages[" + index + "] quotes the special token " + quoted
                            + " and the chat template rewrites the reply, so where its turn ends cannot be found: "
                            + "remove the token's text from the reply");
                }
            }
        }
        String closing = firstSpecialToken(tokenizer.specialTokens(), full, replyEnd);
        if (closing == null) {
            throw new InvalidRecordException("the chat template writes no special token after assistant turn "
                    + "messages[" + index + "], so its end cannot be found");
        }
        return new int[] {start, full.indexOf(closing, replyEnd) + closing.length()};
    }

    /** The special token that occurs first in {@code text} from {@code from} (the longest at a tie), or null. */
    static String firstSpecialToken(Set<String> specialTokens, String text, int from) {
        String first = null;
        int firstAt = -1;
        for (String special : specialTokens) {
            int at = text.indexOf(special, from);
            if (at >= 0 && (first == null || at < firstAt || at == firstAt && special.length() > first.length())) {
                first = special;
                firstAt = at;
            }
        }
        return first;
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
                throw new InvalidRecordException(where + "must be an object, not "
                        + InvalidRecordException.kind(message));
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
