package io.kubelora.trainer.data;

import java.util.Arrays;

/**
 * Packs examples into rows of exactly {@code rowLength} tokens: examples are concatenated in order,
 * with an EOS between two examples unless the first already ends with EOS, and the stream is cut every
 * {@code rowLength} tokens (an example may continue in the next row); the last row is padded, and a
 * row without any target (all prompt) is dropped.
 *
 * <p>Attention spans the whole packed row (no per-example masking, as common trainers pack without
 * variable-length attention): a token may attend to earlier examples of its row. Loss never crosses
 * an example boundary: the last position of an example and the separator predict nothing.
 */
final class Packing {

    private Packing() {
    }

    static TokenRows pack(TokenRows examples, int rowLength, long eosId, long padId) {
        if (rowLength < 2) {
            throw new IllegalArgumentException("packed rows need at least 2 tokens");
        }
        long total = examples.totalLength() + examples.size();
        long[] tokens = new long[(int) Math.min(Integer.MAX_VALUE - 8, total)];
        long[] targets = new long[tokens.length];
        int n = 0;
        for (int i = 0; i < examples.size(); i++) {
            int length = examples.length(i);
            if (n > 0 && tokens[n - 1] != eosId) {
                tokens[n] = eosId;
                targets[n] = Batch.IGNORE;
                n++;
            }
            if ((long) n + length > tokens.length) {
                throw new IllegalArgumentException("packed dataset exceeds " + tokens.length + " tokens");
            }
            examples.copyInto(i, tokens, targets, n);
            n += length;
        }
        TokenRows rows = new TokenRows();
        for (int start = 0; start < n; start += rowLength) {
            int end = Math.min(n, start + rowLength);
            long[] rowTokens = Arrays.copyOfRange(tokens, start, start + rowLength);
            long[] rowTargets = Arrays.copyOfRange(targets, start, start + rowLength);
            Arrays.fill(rowTokens, end - start, rowLength, padId);
            Arrays.fill(rowTargets, end - start, rowLength, Batch.IGNORE);
            Example row = new Example(rowTokens, rowTargets);
            if (row.trainableTokens() > 0) {
                rows.add(row);
            }
        }
        return rows;
    }
}
