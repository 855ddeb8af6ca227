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
        return new Progress(null, null, null, null, null, null, null, null, null);
    }

    /**
     * The numbers of a run that finished after {@code stepsDone} steps with {@code finalLoss} (null: keep the
     * last loss): the total is the steps done unless known, no time is left.
     */
    public Progress finished(long stepsDone, Double finalLoss) {
        return new Progress(stepsDone, totalSteps != null ? totalSteps : stepsDone, null, epoch,
                finalLoss != null ? finalLoss : loss, evalLoss, tokensPerSecond, null, null);
    }

    /** The same numbers, taken at {@code time} (RFC 3339). */
    public Progress at(String time) {
        return new Progress(step, totalSteps, null, epoch, loss, evalLoss, tokensPerSecond, eta, time);
    }
}
