package io.kubelora.trainer.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file (or shard index) that does not follow the format; the message names the file and entry. */
public final class SafetensorsFormatException extends IOException {

    public SafetensorsFormatException(Path file, String message) {
        super(file + ": " + message);
    }

    public SafetensorsFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
