package io.kubelora.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;

/**
 * The trainer's termination message (/dev/termination-log). On success it is one JSON line
 * {@code {"adapterUri": ..., "mergedModelUri": ..., "finalLoss": ..., "steps": ...}}; on failure it is the
 * error text, or the end of the container log when the trainer died before writing one.
 */
public record TrainerResult(String adapterUri, String mergedModelUri, Double finalLoss, Long steps, String text) {

    /** Kubernetes keeps at most 4 KiB of a termination message; logs used as a fallback can be longer. */
    static final int MAX_TEXT_BYTES = 4096;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** The parsed message; null for an empty one. Never throws: a malformed line is kept as text. */
    public static TrainerResult parse(String message) {
        if (message == null || message.isBlank()) {
            return null;
        }
        String trimmed = message.strip();
        if (trimmed.startsWith("{")) {
            try {
                JsonNode node = JSON.readTree(trimmed);
                if (node != null && node.isObject() && node.hasNonNull("adapterUri")) {
                    return new TrainerResult(node.get("adapterUri").asText(), text(node, "mergedModelUri"),
                            node.hasNonNull("finalLoss") ? node.get("finalLoss").asDouble() : null,
                            node.hasNonNull("steps") ? node.get("steps").asLong() : null, null);
                }
            } catch (Exception e) {
                // Not the success line: report it as text below.
            }
        }
        return new TrainerResult(null, null, null, null, truncate(trimmed));
    }

    public boolean isSuccess() {
        return adapterUri != null;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    /** The last 4 KiB: the end of a log holds the error. */
    static String truncate(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_TEXT_BYTES) {
            return text;
        }
        String tail = new String(bytes, bytes.length - MAX_TEXT_BYTES, MAX_TEXT_BYTES, StandardCharsets.UTF_8);
        // Cutting may split a multi-byte character; drop its remains.
        return "..." + tail.replace("\uFFFD", "");
    }
}
