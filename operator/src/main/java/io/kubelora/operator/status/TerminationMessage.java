package io.kubelora.operator.status;

import io.kubelora.api.TrainerResult;
import java.nio.charset.StandardCharsets;

/**
 * The trainer's termination message (/dev/termination-log): on success the {@link TrainerResult} JSON line, on
 * failure the error text, or the end of the container log when the trainer died before writing one.
 *
 * @param result the trainer's result, null unless the message is a success line
 * @param text   the message as text when it is not a success line
 */
public record TerminationMessage(TrainerResult result, String text) {

    /** Kubernetes keeps at most 4 KiB of a termination message; logs used as a fallback can be longer. */
    static final int MAX_TEXT_BYTES = 4096;

    /** The parsed message; null for an empty one. Never throws: a malformed line is kept as text. */
    public static TerminationMessage parse(String message) {
        if (message == null || message.isBlank()) {
            return null;
        }
        String trimmed = message.strip();
        return TrainerResult.fromJson(trimmed)
                .map(result -> new TerminationMessage(result, null))
                .orElseGet(() -> new TerminationMessage(null, truncate(trimmed)));
    }

    public boolean isSuccess() {
        return result != null;
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
