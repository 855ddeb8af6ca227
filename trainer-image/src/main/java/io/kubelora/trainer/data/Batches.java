package io.kubelora.trainer.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Batches over a fixed list of examples (or packed rows), addressable by (epoch, index) so training
 * can resume at any position and get the same batches again.
 *
 * <p>With shuffling, epoch e visits the rows in a permutation drawn from (seed, e) alone; without, in
 * their stored order (validation). A batch holds {@code batchSize} consecutive rows of that order (the
 * last batch of an epoch may hold fewer), right-padded with the pad id to its longest row; padded
 * positions carry {@link Batch#IGNORE} targets. Any run of consecutive rows can be had the same way
 * ({@link #rows}), which is how a batch is shared among data-parallel replicas.
 */
public final class Batches {

    private final TokenRows rows;
    private final long padId;
    private final boolean shuffle;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    Batches(TokenRows rows, long padId, boolean shuffle, long seed) {
        this.rows = rows;
        this.padId = padId;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    /** Number of rows (examples, or packed rows when packing). */
    public int size() {
        return rows.size();
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Tokens over all rows, padding excluded. */
    public long tokens() {
        return rows.totalLength();
    }

    public int batchesPerEpoch(int batchSize) {
        checkBatchSize(batchSize);
        return (rows.size() + batchSize - 1) / batchSize;
    }

    /**
     * The {@code index}-th batch of {@code epoch}.
     *
     * @throws IllegalArgumentException when {@code index} is outside {@code [0, batchesPerEpoch)}
     */
    public Batch batch(int epoch, int index, int batchSize) {
        int perEpoch = batchesPerEpoch(batchSize);
        if (epoch < 0 || index < 0 || index >= perEpoch) {
            throw new IllegalArgumentException("batch " + index + " of epoch " + epoch + " does not exist: "
                    + perEpoch + " batches of " + batchSize + " per epoch");
        }
        int first = index * batchSize;
        return rows(epoch, first, Math.min(batchSize, rows.size() - first));
    }

    /**
     * Rows {@code [first, first + count)} of {@code epoch}'s order as one batch, padded to its longest row. Each
     * row's key is its position in the run's sequence of rows, {@code epoch * size() + position}.
     *
     * @throws IllegalArgumentException when the range is empty or not inside the epoch
     */
    public Batch rows(int epoch, int first, int count) {
        if (epoch < 0 || first < 0 || count < 1 || first + count > rows.size()) {
            throw new IllegalArgumentException("rows " + first + " to " + (first + count - 1) + " of epoch " + epoch
                    + " do not exist: an epoch has " + rows.size() + " rows");
        }
        int[] order = order(epoch);
        int seqLen = 0;
        int[] lengths = new int[count];
        long[] keys = new long[count];
        for (int r = 0; r < count; r++) {
            lengths[r] = rows.length(order[first + r]);
            keys[r] = (long) epoch * rows.size() + first + r;
            seqLen = Math.max(seqLen, lengths[r]);
        }
        long[] inputIds = new long[count * seqLen];      // [B*T]
        long[] targets = new long[count * seqLen];       // [B*T]
        Arrays.fill(inputIds, padId);
        Arrays.fill(targets, Batch.IGNORE);
        for (int r = 0; r < count; r++) {
            rows.copyInto(order[first + r], inputIds, targets, r * seqLen);
        }
        return new Batch(count, seqLen, inputIds, targets, keys, lengths);
    }

    /** The order rows are visited in during {@code epoch}. */
    private synchronized int[] order(int epoch) {
        if (!shuffle) {
            if (cachedOrder == null) {
                cachedOrder = identity(rows.size());
            }
            return cachedOrder;
        }
        if (epoch != cachedEpoch) {
            cachedOrder = permutation(rows.size(), seed, epoch);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    /** Fisher-Yates shuffle seeded by (seed, epoch) only. */
    static int[] permutation(int n, long seed, int epoch) {
        int[] order = identity(n);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    private static void checkBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
    }
}
