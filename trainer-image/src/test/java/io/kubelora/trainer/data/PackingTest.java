package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PackingTest {

    private static final long EOS = 2;
    private static final long PAD = 0;
    private static final long X = Batch.IGNORE;

    @Test
    void concatenatesWithSeparatorsAndCutsFixedRows() {
        // a: prompt 10, answer 11 12 (ends without EOS); b: 20 21 EOS (all trained); c: 30 31 (answer 31)
        Example a = Example.of(new long[] {10, 11, 12}, new boolean[] {false, true, true});
        Example b = Example.of(new long[] {20, 21, EOS}, new boolean[] {true, true, true});
        Example c = Example.of(new long[] {30, 31}, new boolean[] {false, true});
        TokenRows rows = Packing.pack(TokenRows.of(List.of(a, b, c)), 4, EOS, PAD);

        // stream: 10 11 12 EOS | 20 21 EOS 30 | 31 pad pad pad (no target left: dropped)
        assertEquals(2, rows.size());
        assertArrayEquals(new long[] {10, 11, 12, EOS}, rows.get(0).tokens());
        assertArrayEquals(new long[] {11, 12, X, X}, rows.get(0).targets(), "no target across the separator");
        assertArrayEquals(new long[] {20, 21, EOS, 30}, rows.get(1).tokens());
        assertArrayEquals(new long[] {21, EOS, X, 31}, rows.get(1).targets(),
                "b's end predicts nothing; c's prompt predicts its answer across the row cut");

        TokenRows padded = Packing.pack(TokenRows.of(List.of(a, b, c, a)), 4, EOS, PAD);
        // ... | 31 EOS 10 11 | 12 pad pad pad (its only position has no target: dropped)
        assertEquals(3, padded.size());
        assertArrayEquals(new long[] {31, EOS, 10, 11}, padded.get(2).tokens());
        assertArrayEquals(new long[] {X, X, 11, 12}, padded.get(2).targets(), "a's answer continues in the next row");
    }

    @Test
    void rowsWithoutTargetsAreDropped() {
        Example promptOnly = Example.of(new long[] {5, 6, 7, 8}, new boolean[4]);
        Example trained = Example.of(new long[] {9, 10}, new boolean[] {false, true});
        TokenRows rows = Packing.pack(TokenRows.of(List.of(promptOnly, trained, trained)), 4, EOS, PAD);
        // 5 6 7 8 | EOS 9 10 EOS | 9 10 pad pad
        assertEquals(2, rows.size());
        assertArrayEquals(new long[] {EOS, 9, 10, EOS}, rows.get(0).tokens());
        assertArrayEquals(new long[] {X, 10, X, X}, rows.get(0).targets());
        assertArrayEquals(new long[] {9, 10, PAD, PAD}, rows.get(1).tokens());
        assertArrayEquals(new long[] {10, X, X, X}, rows.get(1).targets());
    }
}
