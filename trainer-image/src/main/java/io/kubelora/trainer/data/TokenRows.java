package io.kubelora.trainer.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Token sequences held as {@code int} arrays: half the memory of {@link Example}'s {@code long[]}
 * (token ids and {@link Batch#IGNORE} fit an int), which matters for datasets of millions of tokens.
 */
final class TokenRows {

    private final List<int[]> tokens = new ArrayList<>();
    private final List<int[]> targets = new ArrayList<>();

    static TokenRows of(List<Example> examples) {
        TokenRows rows = new TokenRows();
        examples.forEach(rows::add);
        return rows;
    }

    void add(Example example) {
        tokens.add(narrow(example.tokens()));
        targets.add(narrow(example.targets()));
    }

    private static int[] narrow(long[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] != (int) values[i]) {
                throw new IllegalArgumentException("token id " + values[i] + " is out of range");
            }
            out[i] = (int) values[i];
        }
        return out;
    }

    int size() {
        return tokens.size();
    }

    boolean isEmpty() {
        return tokens.isEmpty();
    }

    int length(int row) {
        return tokens.get(row).length;
    }

    Example get(int row) {
        return new Example(widen(tokens.get(row)), widen(targets.get(row)));
    }

    private static long[] widen(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Copies row {@code row} into {@code ids} and {@code targetIds} from {@code offset}. */
    void copyInto(int row, long[] ids, long[] targetIds, int offset) {
        int[] t = tokens.get(row);
        int[] g = targets.get(row);
        for (int i = 0; i < t.length; i++) {
            ids[offset + i] = t[i];
            targetIds[offset + i] = g[i];
        }
    }

    /** Tokens over all rows. */
    long totalLength() {
        long n = 0;
        for (int[] row : tokens) {
            n += row.length;
        }
        return n;
    }

    /** Positions that carry loss over all rows. */
    long trainableTokens() {
        long n = 0;
        for (int[] row : targets) {
            for (int t : row) {
                if (t != Batch.IGNORE) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The rows whose flag in {@code mask} equals {@code keep}, in order. */
    TokenRows select(boolean[] mask, boolean keep) {
        TokenRows out = new TokenRows();
        for (int i = 0; i < tokens.size(); i++) {
            if (mask[i] == keep) {
                out.tokens.add(tokens.get(i));
                out.targets.add(targets.get(i));
            }
        }
        return out;
    }
}
