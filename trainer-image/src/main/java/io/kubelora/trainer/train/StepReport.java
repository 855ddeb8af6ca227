package io.kubelora.trainer.train;

/**
 * What one logged optimizer step reports: the numbers of metrics.jsonl, the progress line and the
 * Prometheus gauges.
 *
 * @param step            optimizer steps done (1-based)
 * @param epoch           epochs done, fractional
 * @param loss            mean token loss since the previous report
 * @param eval            the evaluation measured at this step, or null
 * @param best            the best evaluation so far (this one included), or null before the first
 * @param tokensPerSecond trained (loss-carrying and context) tokens per second since the previous report, all
 *                        replicas together, padding not counted
 * @param trainedTokens   input tokens of all replicas so far, padding not counted
 * @param etaSeconds      estimated seconds to the end of training
 */
public record StepReport(int step, int totalSteps, double epoch, double loss, Evaluation eval, Best best,
                         double learningRate, double gradNorm, double tokensPerSecond, long trainedTokens,
                         double etaSeconds) {

    /** The lowest evaluation loss so far and the step it was measured at. */
    public record Best(double loss, int step) {
    }

    public boolean hasEvalLoss() {
        return eval != null;
    }

    /** The evaluation loss measured at this step, NaN when there was no evaluation. */
    public double evalLoss() {
        return eval == null ? Double.NaN : eval.loss();
    }
}
