package io.kubelora.trainer.storage;

/** A storage operation failed; the message names the URI and, where known, what the user can do about it. */
public final class StorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
