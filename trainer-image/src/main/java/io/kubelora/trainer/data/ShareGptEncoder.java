package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ShareGPT records, {@code {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}}, read as
 * the chat messages they stand for (system, human -> user, gpt -> assistant) and encoded exactly as the chat format
 * encodes those: rendered with the model's chat template, loss on the gpt turns.
 */
final class ShareGptEncoder implements RecordEncoder {

    private static final Map<String, String> ROLES = Map.of("system", "system", "human", "user", "gpt", "assistant");

    private final ChatEncoder chat;

    ShareGptEncoder(TextTokenizer tokenizer) {
        this.chat = new ChatEncoder(tokenizer);
    }

    @Override
    public Example encode(JsonNode record) {
        return chat.encode(messages(record));
    }

    @Override
    public Prompt prompt(JsonNode record) {
        return ChatEncoder.promptOf(messages(record));
    }

    /** The record's turns as {role, content} messages. */
    static List<Map<String, Object>> messages(JsonNode record) {
        JsonNode list = record.get("conversations");
        if (list == null || list.isNull()) {
            throw new InvalidRecordException("has no \"conversations\" (a list of {from, value})");
        }
        if (!list.isArray() || list.isEmpty()) {
            throw new InvalidRecordException("\"conversations\" must be a non-empty list, not "
                    + (list.isArray() ? "an empty one" : InvalidRecordException.kind(list)));
        }
        List<Map<String, Object>> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode turn = list.get(i);
            String where = "conversations[" + i + "] ";
            if (!turn.isObject()) {
                throw new InvalidRecordException(where + "must be an object, not " + InvalidRecordException.kind(turn));
            }
            String from = InvalidRecordException.requiredString(turn, "from", where);
            String role = ROLES.get(from);
            if (role == null) {
                throw new InvalidRecordException(where + "has the unknown \"from\" \"" + from
                        + "\": expected system, human or gpt");
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", role);
            message.put("content", InvalidRecordException.requiredString(turn, "value", where));
            messages.add(message);
        }
        return messages;
    }
}
