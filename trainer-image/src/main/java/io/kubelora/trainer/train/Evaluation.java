package io.kubelora.trainer.train;

/**
 * One evaluation of the model on the validation examples, over their loss tokens.
 *
 * @param loss     mean cross-entropy per loss token, in nats
 * @param accuracy share of loss tokens that were the model's most likely next token
 * @param tokens   loss tokens measured
 */
public record Evaluation(double loss, double accuracy, long tokens) {

    /** exp(loss): the number of equally likely tokens the model is as unsure as. */
    public double perplexity() {
        return Math.exp(loss);
    }
}
