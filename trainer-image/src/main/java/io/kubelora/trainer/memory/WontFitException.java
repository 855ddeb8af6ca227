package io.kubelora.trainer.memory;

/**
 * A run whose memory plan exceeds the GPU's memory, stopped before its weights were downloaded; the message holds
 * the plan, the verdict and the changes that would make it fit.
 */
public final class WontFitException extends RuntimeException {

    private final transient FitAdvice advice;

    public WontFitException(String message, FitAdvice advice) {
        super(message);
        this.advice = advice;
    }

    /** The verdict with its plan and advice. */
    public FitAdvice advice() {
        return advice;
    }
}
