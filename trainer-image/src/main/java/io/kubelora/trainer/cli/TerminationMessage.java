package io.kubelora.trainer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The container's termination message (/dev/termination-log in a pod, KUBELORA_TERMINATION_LOG to move it):
 * a JSON result on success, the error text on failure. The operator copies it into the LoraFineTune status.
 * Outside a pod the file does not exist and nothing is written.
 */
final class TerminationMessage {

    /** Kubernetes keeps at most 4 KiB of it. */
    private static final int MAX_BYTES = 4096;

    private TerminationMessage() {
    }

    static void write(String message) {
        Path file = Path.of(System.getenv().getOrDefault("KUBELORA_TERMINATION_LOG", "/dev/termination-log"));
        if (!Files.isWritable(file)) {
            return;
        }
        String text = message.length() > MAX_BYTES ? message.substring(0, MAX_BYTES - 3) + "..." : message;
        try {
            Files.writeString(file, text, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException ignored) {
            // Reporting must not hide the outcome: stdout/stderr already carry it.
        }
    }
}
