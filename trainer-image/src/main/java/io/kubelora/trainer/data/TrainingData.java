package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A JSONL dataset read into tokenised examples: the format resolved ({@code auto} from the first
 * record), each record encoded and truncated to {@code maxSeqLength}, examples without a trainable
 * token skipped and counted, a validation share held out (chosen by the seed alone), and both parts
 * served as {@link Batches} (packed into full rows when {@code packing} is on).
 */
public final class TrainingData {

    private final DatasetFormat format;
    private final int trainExamples;
    private final int validationExamples;
    private final int skippedExamples;
    private final int truncatedExamples;
    private final long tokens;
    private final long trainableTokens;
    private final boolean packed;
    private final int maxSeqLength;
    private final Batches train;
    private final Batches validation;

    private TrainingData(DatasetFormat format, TokenRows train, TokenRows validation, int skipped,
                         int truncated, DataOptions options, TextTokenizer tokenizer, long seed) {
        this.format = format;
        this.trainExamples = train.size();
        this.validationExamples = validation.size();
        this.skippedExamples = skipped;
        this.truncatedExamples = truncated;
        this.tokens = train.totalLength() + validation.totalLength();
        this.trainableTokens = train.trainableTokens() + validation.trainableTokens();
        this.packed = options.packing();
        this.maxSeqLength = options.maxSeqLength();
        long pad = tokenizer.padTokenId();
        if (packed) {
            long eos = tokenizer.eosTokenId();
            train = Packing.pack(train, maxSeqLength, eos, pad);
            validation = Packing.pack(validation, maxSeqLength, eos, pad);
        }
        this.train = new Batches(train, pad, true, seed);
        this.validation = new Batches(validation, pad, false, seed);
    }

    /**
     * Reads and tokenises {@code jsonl}.
     *
     * @throws DatasetException naming {@code file:line} for a malformed or unfit record, or the file when
     *                          it holds no usable example
     */
    public static TrainingData load(Path jsonl, DataOptions options, TextTokenizer tokenizer, long seed) {
        Collector collected = new Collector(jsonl, options, tokenizer);
        JsonlRecords.forEach(jsonl, collected);
        if (collected.examples.isEmpty()) {
            throw DatasetException.inFile(jsonl, collected.skipped == 0 ? "holds no records"
                    : "no usable example: all " + collected.skipped + " records have no trainable token within "
                    + options.maxSeqLength() + " tokens", null);
        }
        TokenRows examples = collected.examples;
        boolean[] held = validationMask(examples.size(), options.validationSplit(), seed);
        return new TrainingData(collected.format, examples.select(held, false), examples.select(held, true),
                collected.skipped, collected.truncated, options, tokenizer, seed);
    }

    /** Encodes records as they are read, resolving {@code auto} on the first one. */
    private static final class Collector implements JsonlRecords.RecordHandler {
        private final Path file;
        private final TextTokenizer tokenizer;
        private final int maxLength;
        private final TokenRows examples = new TokenRows();
        private DatasetFormat format;
        private RecordEncoder encoder;
        private int skipped;
        private int truncated;

        Collector(Path file, DataOptions options, TextTokenizer tokenizer) {
            this.file = file;
            this.tokenizer = tokenizer;
            this.maxLength = options.maxSeqLength();
            this.format = options.format();
        }

        @Override
        public void accept(long line, JsonNode record) {
            try {
                if (encoder == null) {
                    if (format == DatasetFormat.AUTO) {
                        format = RecordEncoder.detect(record);
                    }
                    encoder = RecordEncoder.forFormat(format, tokenizer);
                }
                Example example = encoder.encode(record);
                if (example.length() > maxLength) {
                    truncated++;
                    example = example.truncate(maxLength);
                }
                if (example.trainableTokens() == 0) {
                    skipped++;
                } else {
                    examples.add(example);
                }
            } catch (InvalidRecordException e) {
                String what = format == DatasetFormat.AUTO ? "" : format.name().toLowerCase(Locale.ROOT) + " record ";
                throw DatasetException.atLine(file, line, what + e.getMessage(), e);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw DatasetException.atLine(file, line, e.getMessage(), e);
            }
        }
    }

    /**
     * Which examples are held out: {@code round(n * split)} of them (at least one when the split is
     * positive and there are two or more examples, never all), chosen by a shuffle seeded by
     * {@code seed} alone.
     */
    static boolean[] validationMask(int n, double split, long seed) {
        boolean[] held = new boolean[n];
        if (split <= 0 || n < 2) {
            return held;
        }
        int count = (int) Math.min(n - 1, Math.max(1, Math.round(n * split)));
        int[] order = Batches.permutation(n, new SplittableRandom(seed).nextLong(), 0);
        for (int i = 0; i < count; i++) {
            held[order[i]] = true;
        }
        return held;
    }

    /** Training batches, reshuffled every epoch. */
    public Batches train() {
        return train;
    }

    /** Validation batches in a fixed order (pass epoch 0). */
    public Batches validation() {
        return validation;
    }

    public boolean hasValidation() {
        return !validation.isEmpty();
    }

    /** The format records were read in ({@code auto} resolved). */
    public DatasetFormat format() {
        return format;
    }

    public int trainExamples() {
        return trainExamples;
    }

    public int validationExamples() {
        return validationExamples;
    }

    /** Records dropped because no token of theirs carried loss within maxSeqLength. */
    public int skippedExamples() {
        return skippedExamples;
    }

    /** Records cut to maxSeqLength (and kept). */
    public int truncatedExamples() {
        return truncatedExamples;
    }

    /** Tokens of the kept examples (train and validation), before packing or padding. */
    public long tokens() {
        return tokens;
    }

    /** Positions that carry loss over the kept examples. */
    public long trainableTokens() {
        return trainableTokens;
    }

    /** One line for the run log. */
    public String describe() {
        StringBuilder s = new StringBuilder("Dataset (").append(format.name().toLowerCase(Locale.ROOT)).append("): ")
                .append(trainExamples).append(" train / ").append(validationExamples).append(" validation examples, ")
                .append(skippedExamples).append(" skipped, ").append(truncatedExamples).append(" truncated to ")
                .append(maxSeqLength).append(" tokens; ").append(tokens).append(" tokens, ")
                .append(trainableTokens).append(" with loss");
        if (packed) {
            s.append("; packed into ").append(train.size()).append(" + ").append(validation.size())
                    .append(" rows of ").append(maxSeqLength);
        }
        return s.toString();
    }
}
