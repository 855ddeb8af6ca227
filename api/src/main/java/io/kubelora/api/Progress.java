package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** A snapshot of a running trainer, as shown by kubectl get lft (losses to three decimals: 1.482). */
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

        @JsonPropertyDescription("Training loss of the last logged step, to three decimals (the Loss column).")
        Double loss,

        @JsonPropertyDescription("Last measured evaluation loss, to three decimals.")
        Double evalLoss,

        @JsonPropertyDescription("Lowest evaluation loss so far, to three decimals.")
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

    /** Decimals a loss keeps in the status: enough to follow training, short enough for a table column. */
    public static final int LOSS_DECIMALS = 3;

    public Progress {
        if (steps == null && step != null && totalSteps != null) {
            steps = step + "/" + totalSteps;
        }
        loss = roundLoss(loss);
        evalLoss = roundLoss(evalLoss);
        bestEvalLoss = roundLoss(bestEvalLoss);
    }

    /** A loss as the status shows it: 1.48216412345 becomes 1.482. */
    public static Double roundLoss(Double loss) {
        if (loss == null || !Double.isFinite(loss)) {
            return loss;
        }
        return new BigDecimal(loss).setScale(LOSS_DECIMALS, RoundingMode.HALF_EVEN).doubleValue();
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
