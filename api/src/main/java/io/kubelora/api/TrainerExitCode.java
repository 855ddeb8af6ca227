package io.kubelora.api;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The exit codes of the trainer, one contract for both sides: the trainer exits with them, and the operator's
 * training Job fails at once (podFailurePolicy {@code FailJob}) on those a retry cannot fix, instead of spending
 * the run's {@code backoffLimit} on them.
 */
public enum TrainerExitCode {

    /** Training finished and the results are delivered. */
    SUCCEEDED(0, "Succeeded", true, "the run finished"),

    /** Anything else: storage or network errors, an unexpected error. */
    FAILED(1, "TrainerFailed", true, "an error a retry may fix: storage or network, or an unexpected one"),

    /** The LoraFineTune, or a command-line argument, is invalid (also picocli's code for a usage error). */
    INVALID_SPEC(2, "InvalidSpec", false, "the spec or the command line is invalid"),

    /** The dataset cannot be used: malformed JSON, missing fields, no usable example. */
    BAD_DATA(3, "BadData", false, "the dataset cannot be used"),

    /** The base model cannot be used: unsupported architecture, malformed config.json or weights. */
    BAD_MODEL(4, "BadModel", false, "the base model cannot be used"),

    /**
     * The run's memory plan exceeds the GPU's memory (training.memoryCheck: enforce): stopped before the weights
     * were downloaded; the message holds the plan and the changes that would make it fit.
     */
    WONT_FIT(5, "WontFit", false, "the run's memory plan exceeds the GPU's memory"),

    /**
     * The pod's GPUs (spec.resources.gpus) cannot be used by libtorch: no driver, a driver older than the image's
     * CUDA, a CPU image, or fewer visible devices. The same pod spec lands on the same kind of node again, so the
     * Job does not retry; the message says what libtorch saw.
     */
    GPU_UNAVAILABLE(6, "GpuUnavailable", false, "the GPUs asked for cannot be used"),

    /** The GPU ran out of memory during the run; the message holds the plan and the changes that would lower it. */
    OUT_OF_GPU_MEMORY(7, "OutOfGpuMemory", false, "the GPU ran out of memory");

    private final int code;
    private final String reason;
    private final boolean retryMayHelp;
    private final String meaning;

    TrainerExitCode(int code, String reason, boolean retryMayHelp, String meaning) {
        this.code = code;
        this.reason = reason;
        this.retryMayHelp = retryMayHelp;
        this.meaning = meaning;
    }

    /** The process exit status. */
    public int code() {
        return code;
    }

    /** A CamelCase word for conditions and Events, e.g. BadData. */
    public String reason() {
        return reason;
    }

    /** False when running the same spec again cannot succeed: the Job then fails without further retries. */
    public boolean retryMayHelp() {
        return retryMayHelp;
    }

    /** What the code means, in a few words. */
    public String meaning() {
        return meaning;
    }

    /** The code with this exit status, if the trainer defines one. */
    public static Optional<TrainerExitCode> of(int code) {
        return Arrays.stream(values()).filter(c -> c.code == code).findFirst();
    }

    /** Exit statuses on which the Job fails at once, ascending. */
    public static List<Integer> retryCannotHelp() {
        return Arrays.stream(values()).filter(c -> !c.retryMayHelp).map(TrainerExitCode::code).sorted().toList();
    }
}
