package io.kubelora.trainer.train;

/** The JVM or libtorch ran out of host memory during the run; the message says which and what to change. */
public final class OutOfHostMemoryException extends RuntimeException {

    public OutOfHostMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
