package io.kubelora.trainer.parallel;

import java.util.ArrayList;
import java.util.List;

/**
 * How the rows of one global micro-batch are shared among replicas, the same way every time: replica r takes the
 * r-th run of {@code ceil(rows / replicas)} consecutive rows (the last replicas may get fewer, or none), and runs
 * them in passes of at most {@code rowsPerPass} rows. A fresh run's micro-batch holds {@code batchSize x replicas}
 * rows, so each replica runs one pass of {@code batchSize}: the per-device batch. A run resumed with another replica
 * count keeps its micro-batch and only shares it differently (more passes on fewer replicas), which changes nothing
 * in the summed gradient.
 */
public final class RowShares {

    private RowShares() {
    }

    /** Rows {@code [first, first + count)} of the micro-batch, run as one forward and backward. */
    public record Pass(int first, int count) {
    }

    /** The passes of each replica, in replica order; a replica without rows has none. */
    public static List<List<Pass>> of(int rows, int replicas, int rowsPerPass) {
        if (rows < 0 || replicas < 1 || rowsPerPass < 1) {
            throw new IllegalArgumentException("cannot share " + rows + " rows among " + replicas
                    + " replica(s) in passes of " + rowsPerPass);
        }
        int share = (rows + replicas - 1) / replicas;
        List<List<Pass>> passes = new ArrayList<>(replicas);
        for (int r = 0; r < replicas; r++) {
            List<Pass> own = new ArrayList<>();
            int end = Math.min(rows, (r + 1) * share);
            for (int first = r * share; first < end; first += rowsPerPass) {
                own.add(new Pass(first, Math.min(rowsPerPass, end - first)));
            }
            passes.add(own);
        }
        return passes;
    }
}
