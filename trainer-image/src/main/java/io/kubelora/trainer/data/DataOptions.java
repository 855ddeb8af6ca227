package io.kubelora.trainer.data;

import java.util.Objects;

/**
 * How a JSONL dataset becomes token sequences.
 *
 * @param format          record format, or {@link DatasetFormat#AUTO} to detect it from the first record
 * @param validationSplit fraction of the examples held out for evaluation, 0 for none
 * @param maxSeqLength    longest token sequence; longer examples are truncated
 * @param packing         pack several short examples into each row of maxSeqLength tokens
 */
public record DataOptions(DatasetFormat format, double validationSplit, int maxSeqLength, boolean packing) {

    public DataOptions {
        Objects.requireNonNull(format, "format");
        if (maxSeqLength < 1) {
            throw new IllegalArgumentException("maxSeqLength must be positive, was " + maxSeqLength);
        }
    }
}
