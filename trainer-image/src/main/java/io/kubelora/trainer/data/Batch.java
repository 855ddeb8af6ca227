package io.kubelora.trainer.data;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/**
 * One micro-batch of token sequences, right-padded to a common length.
 *
 * @param batchSize  rows B
 * @param seqLen     columns T
 * @param inputIds   [B*T] row-major token ids fed to the model (padding uses the pad or eos id)
 * @param targets    [B*T] row-major: targets[b*T+t] is the token to predict after position t, or
 *                   {@link #IGNORE} where no loss is taken (prompt, padding, last position)
 * @param rowKeys    [B] each row's identity in the run: its position in the sequence of rows the run visits
 *                   (epoch * rows + position in the epoch's order). Dropout masks are drawn from it, so a row gets
 *                   the same masks however the rows are cut into batches and shared among replicas.
 * @param rowLengths [B] each row's tokens before padding (1 to T)
 */
public record Batch(int batchSize, int seqLen, long[] inputIds, long[] targets, long[] rowKeys, int[] rowLengths) {

    /** Target value that carries no loss (the value Hugging Face uses for masked labels). */
    public static final long IGNORE = -100;

    public Batch {
        if (inputIds.length != (long) batchSize * seqLen || targets.length != inputIds.length) {
            throw new IllegalArgumentException("batch arrays must hold " + batchSize + "x" + seqLen + " ids");
        }
        if (rowKeys.length != batchSize || rowLengths.length != batchSize) {
            throw new IllegalArgumentException("a batch of " + batchSize + " rows needs " + batchSize
                    + " row keys and lengths");
        }
        for (int length : rowLengths) {
            if (length < 1 || length > seqLen) {
                throw new IllegalArgumentException("a row length must be 1 to " + seqLen + ", got " + length);
            }
        }
    }

    /** Rows 0..B-1 as their keys, every row T tokens long (no padding). */
    public Batch(int batchSize, int seqLen, long[] inputIds, long[] targets) {
        this(batchSize, seqLen, inputIds, targets, LongStream.range(0, batchSize).toArray(),
                IntStream.generate(() -> seqLen).limit(batchSize).toArray());
    }

    /** The same rows under other keys, e.g. to draw other dropout masks for them. */
    public Batch withRowKeys(long... keys) {
        return new Batch(batchSize, seqLen, inputIds, targets, keys, rowLengths);
    }

    /** Tokens of the rows before padding: what the batch trains on, however it was padded. */
    public long inputTokens() {
        long n = 0;
        for (int length : rowLengths) {
            n += length;
        }
        return n;
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

    /**
     * Uniformly random token ids for benchmarks and device checks, the targets being the inputs shifted by one
     * (what Hugging Face computes from labels = input_ids): each row's last position carries no loss.
     */
    public static Batch randomTokens(int batchSize, int seqLen, int vocabSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] inputs = new long[batchSize * seqLen];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(vocabSize);
        }
        long[] targets = new long[inputs.length];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = (i + 1) % seqLen == 0 ? IGNORE : inputs[i + 1];
        }
        return new Batch(batchSize, seqLen, inputs, targets);
    }
}
