package io.kubelora.trainer.data;

import java.util.Arrays;

/**
 * One tokenised training example.
 *
 * @param tokens  [T] token ids fed to the model
 * @param targets [T] already shifted: {@code targets[t]} is the token to predict after position t
 *                ({@code tokens[t+1]}), or {@link Batch#IGNORE} where no loss is taken (prompt tokens
 *                and the last position)
 */
public record Example(long[] tokens, long[] targets) {

    public Example {
        if (tokens.length == 0 || tokens.length != targets.length) {
            throw new IllegalArgumentException("an example needs as many targets as tokens, at least one");
        }
    }

    /**
     * Builds the shifted targets from per-token flags: the token at position t+1 is a target of
     * position t when {@code trainable[t+1]}.
     */
    public static Example of(long[] tokens, boolean[] trainable) {
        if (tokens.length != trainable.length) {
            throw new IllegalArgumentException("one trainable flag per token expected");
        }
        long[] targets = new long[tokens.length];
        for (int t = 0; t < tokens.length; t++) {
            targets[t] = t + 1 < tokens.length && trainable[t + 1] ? tokens[t + 1] : Batch.IGNORE;
        }
        return new Example(tokens, targets);
    }

    public int length() {
        return tokens.length;
    }

    /** Positions that carry loss. */
    public int trainableTokens() {
        int n = 0;
        for (long t : targets) {
            if (t != Batch.IGNORE) {
                n++;
            }
        }
        return n;
    }

    /**
     * The first {@code maxLength} tokens. The last kept position loses its target: the token it
     * would predict was cut off (as Hugging Face trainers do when they truncate, then shift).
     */
    public Example truncate(int maxLength) {
        if (tokens.length <= maxLength) {
            return this;
        }
        long[] kept = Arrays.copyOf(tokens, maxLength);
        long[] keptTargets = Arrays.copyOf(targets, maxLength);
        keptTargets[maxLength - 1] = Batch.IGNORE;
        return new Example(kept, keptTargets);
    }
}
