package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoraDeltaTest {

    @Test
    void wholeWeightGetsTheReferenceUpdate() {
        checkAgainstDoubleReference(64, 96, 16, 0, 64, 0);
    }

    @Test
    void rowsInTheMiddleOfTheWeightUseTheirOwnRowsOfBAndLandAtTheBlockRow() {
        checkAgainstDoubleReference(40, 24, 7, 13, 9, 3); // r = 7: the unrolled-by-4 path and its remainder
    }

    @Test
    void ranksBelowFourAndExactMultiplesOfFourAreSummedCompletely() {
        checkAgainstDoubleReference(12, 33, 2, 0, 12, 0); // r < 4: no unrolled pass at all
        checkAgainstDoubleReference(12, 33, 8, 4, 5, 1);  // r = 8: two unrolled passes, no remainder
    }

    @Test
    void aRowUpdateDoesNotDependOnWhatTheScratchHeldBefore() {
        SplittableRandom random = new SplittableRandom(5);
        int out = 6;
        int in = 10;
        for (int rank : new int[] {3, 4, 6}) {
            LoraDelta delta = new LoraDelta("w", rank, out, in, uniform(rank * in, random), uniform(out * rank, random),
                    2.0);
            float[] w = uniform(in, random);
            float[] clean = w.clone();
            float[] dirty = w.clone();
            delta.addToRow(clean, 4, new float[in]);
            float[] scratch = new float[in + 3];
            Arrays.fill(scratch, Float.NaN); // left over from another row or tensor
            delta.addToRow(dirty, 4, scratch);
            assertArrayEquals(clean, dirty, "rank " + rank);
        }
        LoraDelta delta = new LoraDelta("w", 1, out, in, new float[in], new float[out], 1);
        assertThrows(IndexOutOfBoundsException.class, () -> delta.addToRow(new float[in], out, new float[in]));
        assertThrows(IndexOutOfBoundsException.class, () -> delta.addToRow(new float[in - 1], 0, new float[in]));
    }

    @Test
    void refusesRowsOutsideTheWeight() {
        LoraDelta delta = new LoraDelta("w", 2, 4, 3, new float[6], new float[8], 1.0);
        assertThrows(IndexOutOfBoundsException.class, () -> delta.addTo(new float[6], 0, 3, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> delta.addTo(new float[6], 1, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new LoraDelta("w", 2, 4, 3, new float[5], new float[8], 1));
    }

    private static void checkAgainstDoubleReference(int out, int in, int rank, int firstRow, int rows,
                                                    int blockRow) {
        SplittableRandom random = new SplittableRandom(rank);
        float[] a = uniform(rank * in, random);  // [r, in]
        float[] b = uniform(out * rank, random); // [out, r]
        float[] w = uniform((blockRow + rows) * in, random); // rows [firstRow, firstRow + rows) of W at blockRow
        float[] merged = w.clone();
        double scaling = 16 / Math.sqrt(rank);
        new LoraDelta("w", rank, out, in, a, b, scaling).addTo(merged, blockRow, firstRow, rows);
        for (int j = 0; j < blockRow * in; j++) {
            assertEquals(w[j], merged[j], 0f, "rows before the block row stay untouched");
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < in; j++) {
                double ba = 0;
                for (int k = 0; k < rank; k++) {
                    ba += (double) b[(firstRow + i) * rank + k] * a[k * in + j];
                }
                int at = (blockRow + i) * in + j;
                assertEquals(w[at] + scaling * ba, merged[at], 2e-6, "[" + i + ", " + j + "]");
            }
        }
    }

    private static float[] uniform(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1) * 0.1f;
        }
        return v;
    }
}
