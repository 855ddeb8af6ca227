package io.kubelora.trainer.train;

/** The GPU ran out of memory during the run; the message holds the plan and the changes that would lower it. */
public final class OutOfGpuMemoryException extends RuntimeException {

    public OutOfGpuMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
