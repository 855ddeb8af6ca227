package io.kubelora.trainer.train;

import java.util.Locale;

/**
 * The evaluation losses of a run so far: the best one and its step (the adapter training.keepBest delivers), and
 * early stopping as Hugging Face's EarlyStoppingCallback does it: an evaluation that does not beat the best loss
 * before it by more than {@code minDelta} counts against the patience; {@code patience} such evaluations in a row end
 * training. A lower loss is still the new best when it improves by less than minDelta.
 */
public final class EvalHistory {

    /** What a checkpoint keeps so a resumed run goes on counting (bestStep -1: nothing evaluated yet). */
    public record State(double bestLoss, int bestStep, int evalsWithoutImprovement) {
        static final State EMPTY = new State(Double.NaN, -1, 0);
    }

    private final Integer patience;
    private final double minDelta;
    private double bestLoss;
    private int bestStep;
    private int evalsWithoutImprovement;

    /**
     * @param patience evaluations without improvement that stop training; null never stops
     * @param minDelta the smallest decrease of the loss that counts as an improvement
     */
    public EvalHistory(Integer patience, double minDelta, State state) {
        this.patience = patience;
        this.minDelta = minDelta;
        this.bestLoss = state.bestLoss();
        this.bestStep = state.bestStep();
        this.evalsWithoutImprovement = state.evalsWithoutImprovement();
    }

    /** No early stopping, nothing recorded yet. */
    public static EvalHistory withoutEarlyStopping() {
        return new EvalHistory(null, 0, State.EMPTY);
    }

    /** Records the evaluation loss measured after {@code step}; true when it is the new best. */
    public boolean record(int step, double loss) {
        boolean first = bestStep < 0;
        boolean improved = first || bestLoss - loss > minDelta;
        evalsWithoutImprovement = improved ? 0 : evalsWithoutImprovement + 1;
        if (first || loss < bestLoss) {
            bestLoss = loss;
            bestStep = step;
            return true;
        }
        return false;
    }

    /** Whether anything was evaluated. */
    public boolean any() {
        return bestStep >= 0;
    }

    public double bestLoss() {
        return bestLoss;
    }

    /** Step of the best evaluation, -1 before the first. */
    public int bestStep() {
        return bestStep;
    }

    /** Why training should stop now, or null to go on. */
    public String stopReason() {
        if (patience == null || evalsWithoutImprovement < patience) {
            return null;
        }
        return String.format(Locale.ROOT, "eval loss did not improve by more than %s for %d evaluation%s "
                + "(best %.4f at step %d)", minDelta, patience, patience == 1 ? "" : "s", bestLoss, bestStep);
    }

    public State state() {
        return new State(bestLoss, bestStep, evalsWithoutImprovement);
    }
}
