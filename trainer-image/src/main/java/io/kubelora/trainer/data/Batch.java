package io.kubelora.trainer.data;

/**
 * One micro-batch of token sequences, right-padded to a common length.
 *
 * @param batchSize rows B
 * @param seqLen    columns T
 * @param inputIds  [B*T] row-major token ids fed to the model (padding uses the pad or eos id)
 * @param targets   [B*T] row-major: targets[b*T+t] is the token to predict after position t, or
 *                  {@link #IGNORE} where no loss is taken (prompt, padding, last position)
 */
public record Batch(int batchSize, int seqLen, long[] inputIds, long[] targets) {

    /** Target value that carries no loss (the value Hugging Face uses for masked labels). */
    public static final long IGNORE = -100;

    public Batch {
        if (inputIds.length != (long) batchSize * seqLen || targets.length != inputIds.length) {
            throw new IllegalArgumentException("batch arrays must hold " + batchSize + "x" + seqLen + " ids");
        }
    }

    /** Tokens that carry loss. */
    public long targetTokens() {
        long n = 0;
        for (long t : targets) {
            if (t != IGNORE) {
                n++;
            }
        }
        return n;
    }
}
