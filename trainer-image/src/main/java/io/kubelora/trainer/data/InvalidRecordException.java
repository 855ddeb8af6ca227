package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * A JSONL record that does not fit its format (missing field, wrong type, unknown role). The
 * message says what is wrong; the reader adds the file and line.
 */
final class InvalidRecordException extends RuntimeException {

    InvalidRecordException(String message) {
        super(message);
    }

    /** The string value of {@code field}, which must be present. */
    static String requiredString(JsonNode record, String field, String where) {
        JsonNode value = record.get(field);
        if (value == null || value.isNull()) {
            throw new InvalidRecordException(where + "has no \"" + field + "\" (a string)");
        }
        if (!value.isTextual()) {
            throw new InvalidRecordException(where + "\"" + field + "\" must be a string, not " + kind(value));
        }
        return value.asText();
    }

    /** The string value of {@code field}, or "" when absent or null. */
    static String optionalString(JsonNode record, String field, String where) {
        JsonNode value = record.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new InvalidRecordException(where + "\"" + field + "\" must be a string, not " + kind(value));
        }
        return value.asText();
    }

    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
