package io.kubelora.trainer.model;

/**
 * Summed token-level cross-entropy of a batch, the number of tokens it was summed over, and, from an evaluation
 * pass, how many of those the model predicted (its most likely next token was the target).
 *
 * @param sum     sum of -log p(target) over the target tokens, in nats
 * @param tokens  target tokens (those not {@code Batch.IGNORE})
 * @param correct target tokens whose argmax prediction was the target (counted by evaluation passes, 0 from
 *                training passes, which backpropagate the loss instead)
 */
public record LossSum(double sum, long tokens, long correct) {

    /** Nothing measured. */
    public static final LossSum ZERO = new LossSum(0, 0, 0);

    /** Mean loss per token, NaN when there were no target tokens. */
    public double mean() {
        return tokens == 0 ? Double.NaN : sum / tokens;
    }

    /** Next-token accuracy over the target tokens, NaN when there were none. */
    public double accuracy() {
        return tokens == 0 ? Double.NaN : (double) correct / tokens;
    }

    public LossSum plus(LossSum other) {
        return new LossSum(sum + other.sum, tokens + other.tokens, correct + other.correct);
    }
}
