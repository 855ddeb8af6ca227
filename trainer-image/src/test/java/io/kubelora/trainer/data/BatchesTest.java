package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static final long PAD = 99;
    private static final long X = Batch.IGNORE;

    private static Example row(long... tokens) {
        boolean[] all = new boolean[tokens.length];
        Arrays.fill(all, true);
        return Example.of(tokens, all);
    }

    @Test
    void rightPadsToTheLongestRowOfTheBatch() {
        Batches batches = new Batches(TokenRows.of(List.of(row(1, 2, 3), row(4, 5), row(6, 7, 8, 9, 10))), PAD, false, 0);
        Batch first = batches.batch(0, 0, 2);
        assertEquals(2, first.batchSize());
        assertEquals(3, first.seqLen(), "longest row of this batch, not of the dataset");
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, PAD}, first.inputIds());
        assertArrayEquals(new long[] {2, 3, X, 5, X, X}, first.targets());
        Batch last = batches.batch(0, 1, 2);
        assertEquals(1, last.batchSize());
        assertEquals(5, last.seqLen());
    }

    @Test
    void anyRunOfRowsIsABatchKeyedByItsPositionInTheRun() {
        Batches batches = new Batches(TokenRows.of(List.of(row(1, 2, 3), row(4, 5), row(6, 7, 8, 9, 10))), PAD, true,
                7);
        Batch rows = batches.rows(2, 1, 2);                     // rows 1 and 2 of epoch 2's order
        assertArrayEquals(new long[] {2 * 3 + 1, 2 * 3 + 2}, rows.rowKeys(), "epoch * rows + position");
        Batch whole = batches.batch(2, 0, 3);
        assertArrayEquals(new long[] {6, 7, 8}, whole.rowKeys());
        assertArrayEquals(new int[] {whole.rowLengths()[1], whole.rowLengths()[2]}, rows.rowLengths());
        int t = whole.seqLen();
        for (int r = 0; r < 2; r++) {
            long[] own = Arrays.copyOfRange(rows.inputIds(), r * rows.seqLen(), r * rows.seqLen()
                    + rows.rowLengths()[r]);
            long[] inWhole = Arrays.copyOfRange(whole.inputIds(), (r + 1) * t, (r + 1) * t + rows.rowLengths()[r]);
            assertArrayEquals(inWhole, own, "row " + r + " is the same tokens, padded to its own batch");
        }
        assertArrayEquals(new long[] {1}, batches.batch(0, 1, 1).rowKeys(), "batches key their rows the same way");
        assertThrows(IllegalArgumentException.class, () -> batches.rows(0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> batches.rows(0, 0, 0));
    }

    @Test
    void unshuffledBatchesIgnoreTheEpoch() {
        Batches batches = new Batches(TokenRows.of(List.of(row(1, 2), row(3, 4), row(5, 6))), PAD, false, 0);
        assertArrayEquals(batches.batch(0, 1, 1).inputIds(), batches.batch(7, 1, 1).inputIds());
        assertArrayEquals(new long[] {3, 4}, batches.batch(0, 1, 1).inputIds());
    }

    @Test
    void permutationIsAFunctionOfSeedAndEpoch() {
        assertArrayEquals(Batches.permutation(50, 3, 2), Batches.permutation(50, 3, 2));
        int[] p = Batches.permutation(50, 3, 2);
        assertEquals(50, Arrays.stream(p).distinct().count());
        assertFalse(Arrays.equals(p, Batches.permutation(50, 3, 3)));
        assertFalse(Arrays.equals(p, Batches.permutation(50, 4, 2)));
    }

    @Test
    void outOfRangeRequestsAreRejected() {
        Batches batches = new Batches(TokenRows.of(List.of(row(1, 2))), PAD, true, 0);
        assertThrows(IllegalArgumentException.class, () -> batches.batch(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> batches.batch(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> batches.batch(-1, 0, 1));
    }
}
