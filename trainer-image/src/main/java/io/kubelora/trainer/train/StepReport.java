package io.kubelora.trainer.train;

/**
 * What one logged optimizer step reports: the numbers of metrics.jsonl, the progress line and the
 * Prometheus gauges.
 *
 * @param step            optimizer steps done (1-based)
 * @param epoch           epochs done, fractional
 * @param loss            mean token loss since the previous report
 * @param evalLoss        validation loss measured at this step, or NaN
 * @param tokensPerSecond trained (loss-carrying and context) tokens per second since the previous report, all
 *                        replicas together, padding not counted
 * @param trainedTokens   input tokens of all replicas so far, padding not counted
 * @param etaSeconds      estimated seconds to the end of training
 */
public record StepReport(int step, int totalSteps, double epoch, double loss, double evalLoss, double learningRate,
                         double gradNorm, double tokensPerSecond, long trainedTokens, double etaSeconds) {

    public boolean hasEvalLoss() {
        return !Double.isNaN(evalLoss);
    }
}
