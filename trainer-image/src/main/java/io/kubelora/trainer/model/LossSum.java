package io.kubelora.trainer.model;

/**
 * Summed token-level cross-entropy of a batch and the number of tokens it was summed over.
 *
 * @param sum    sum of -log p(target) over the target tokens, in nats
 * @param tokens target tokens (those not {@code Batch.IGNORE})
 */
public record LossSum(double sum, long tokens) {

    /** Mean loss per token, NaN when there were no target tokens. */
    public double mean() {
        return tokens == 0 ? Double.NaN : sum / tokens;
    }

    public LossSum plus(LossSum other) {
        return new LossSum(sum + other.sum, tokens + other.tokens);
    }
}
