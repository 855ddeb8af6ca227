package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A snapshot of a running trainer, as shown by kubectl get lft. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Progress(
        @JsonPropertyDescription("Optimizer steps done.")
        Long step,

        @JsonPropertyDescription("Optimizer steps the run will take.")
        Long totalSteps,

        @JsonPropertyDescription("step/totalSteps, e.g. 120/900 (the Progress column).")
        String steps,

        @JsonPropertyDescription("Epochs done, fractional.")
        Double epoch,

        @JsonPropertyDescription("Training loss of the last logged step.")
        Double loss,

        @JsonPropertyDescription("Last measured evaluation loss.")
        Double evalLoss,

        @JsonPropertyDescription("Lowest evaluation loss so far.")
        Double bestEvalLoss,

        @JsonPropertyDescription("Step of the lowest evaluation loss: the adapter delivered when training.keepBest "
                + "is on.")
        Long bestEvalStep,

        @JsonPropertyDescription("Trained tokens per second, averaged over recent steps.")
        Double tokensPerSecond,

        @JsonPropertyDescription("Estimated time left, e.g. 1h02m.")
        String eta,

        @JsonPropertyDescription("When this snapshot was taken (RFC 3339).")
        String lastUpdateTime) {

    public Progress {
        if (steps == null && step != null && totalSteps != null) {
            steps = step + "/" + totalSteps;
        }
    }

    /** Nothing measured yet. */
    public static Progress empty() {
        return new Progress(null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * The numbers of a run that finished as {@code result} says (steps done, final and evaluation losses; a value
     * the result lacks keeps the last one read): the total is the steps done unless known, no time is left.
     */
    public Progress finished(TrainerResult result) {
        long stepsDone = result.steps();
        return new Progress(stepsDone, totalSteps != null ? totalSteps : stepsDone, null, epoch,
                or(result.finalLoss(), loss), or(result.evalLoss(), evalLoss), or(result.bestEvalLoss(), bestEvalLoss),
                or(result.bestStep(), bestEvalStep), tokensPerSecond, null, null);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** The same numbers, taken at {@code time} (RFC 3339). */
    public Progress at(String time) {
        return new Progress(step, totalSteps, null, epoch, loss, evalLoss, bestEvalLoss, bestEvalStep,
                tokensPerSecond, eta, time);
    }
}
