package io.kubelora.trainer.model;

/** A model folder, config field, weights file or adapter that cannot be used; the message names which. */
public final class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
