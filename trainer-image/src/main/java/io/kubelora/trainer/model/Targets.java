package io.kubelora.trainer.model;

import io.kubelora.trainer.data.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The positions of a batch that carry loss, gathered once so that the lm_head and softmax only run on
 * those rows (prompt and padding positions never reach the vocabulary projection).
 *
 * @param positions flat indices b*T+t of the target positions, ascending
 * @param ids       the token to predict at each of those positions
 */
record Targets(long[] positions, long[] ids) {

    /** The targets of {@code batch}; an id outside [0, vocabSize) is an error. */
    static Targets of(Batch batch, int vocabSize) {
        long[] targets = batch.targets();
        int n = 0;
        for (long t : targets) {
            if (t != Batch.IGNORE) {
                n++;
            }
        }
        long[] positions = new long[n];
        long[] ids = new long[n];
        int k = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != Batch.IGNORE) {
                if (targets[i] < 0 || targets[i] >= vocabSize) {
                    throw new IllegalArgumentException("target id " + targets[i] + " at position " + i
                            + " outside the vocabulary [0, " + vocabSize + ") (use " + Batch.IGNORE
                            + " for positions without loss)");
                }
                positions[k] = i;
                ids[k++] = targets[i];
            }
        }
        return new Targets(positions, ids);
    }

    int count() {
        return positions.length;
    }

    /** Consecutive slices of at most {@code size} targets. */
    List<Targets> chunks(int size) {
        List<Targets> chunks = new ArrayList<>();
        for (int from = 0; from < positions.length; from += size) {
            int to = Math.min(positions.length, from + size);
            chunks.add(new Targets(Arrays.copyOfRange(positions, from, to), Arrays.copyOfRange(ids, from, to)));
        }
        return chunks;
    }
}
