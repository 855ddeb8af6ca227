package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A JSONL dataset read into tokenised examples: the format resolved ({@code auto} from the first
 * record), each record encoded and truncated to {@code maxSeqLength}, examples without a trainable
 * token skipped and counted, a validation share held out (chosen by the seed alone) or a separate validation
 * file read in the same format, and both parts served as {@link Batches} (packed into full rows when
 * {@code packing} is on). What the validation examples ask ({@link Prompt}s) is kept, for sample answers.
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
    private final List<Prompt> validationPrompts;

    private TrainingData(DatasetFormat format, TokenRows train, TokenRows validation, List<Prompt> validationPrompts,
                         int skipped, int truncated, DataOptions options, TextTokenizer tokenizer, long seed) {
        this.format = format;
        this.validationPrompts = List.copyOf(validationPrompts);
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
     * Reads and tokenises {@code jsonl}, holding out {@code options.validationSplit()} of it.
     *
     * @throws DatasetException naming {@code file:line} for a malformed or unfit record, or the file when
     *                          it holds no usable example
     */
    public static TrainingData load(Path jsonl, DataOptions options, TextTokenizer tokenizer, long seed) {
        return load(jsonl, null, options, tokenizer, seed);
    }

    /**
     * Reads and tokenises {@code jsonl}; the validation examples are those of {@code validationJsonl} (read in the
     * training file's format) when it is given, else {@code options.validationSplit()} of {@code jsonl}.
     *
     * @throws DatasetException naming {@code file:line} for a malformed or unfit record, or the file when
     *                          it holds no usable example
     */
    public static TrainingData load(Path jsonl, Path validationJsonl, DataOptions options, TextTokenizer tokenizer,
                                    long seed) {
        Collector train = Collector.read(jsonl, options.format(), options, tokenizer);
        if (validationJsonl != null) {
            Collector held = Collector.read(validationJsonl, train.format, options, tokenizer);
            return new TrainingData(train.format, train.examples, held.examples, nonNull(held.prompts),
                    train.skipped + held.skipped, train.truncated + held.truncated, options, tokenizer, seed);
        }
        TokenRows examples = train.examples;
        boolean[] held = validationMask(examples.size(), options.validationSplit(), seed);
        List<Prompt> heldPrompts = new ArrayList<>();
        for (int i = 0; i < held.length; i++) {
            if (held[i]) {
                heldPrompts.add(train.prompts.get(i));
            }
        }
        return new TrainingData(train.format, examples.select(held, false), examples.select(held, true),
                nonNull(heldPrompts), train.skipped, train.truncated, options, tokenizer, seed);
    }

    private static List<Prompt> nonNull(List<Prompt> prompts) {
        return prompts.stream().filter(Objects::nonNull).toList();
    }

    /** Encodes records as they are read, resolving {@code auto} on the first one. */
    private static final class Collector implements JsonlRecords.RecordHandler {
        private final Path file;
        private final TextTokenizer tokenizer;
        private final int maxLength;
        private final TokenRows examples = new TokenRows();
        /** What each kept example asks, null for plain text; parallel to {@link #examples}. */
        private final List<Prompt> prompts = new ArrayList<>();
        private DatasetFormat format;
        private RecordEncoder encoder;
        private int skipped;
        private int truncated;

        private Collector(Path file, DatasetFormat format, DataOptions options, TextTokenizer tokenizer) {
            this.file = file;
            this.tokenizer = tokenizer;
            this.maxLength = options.maxSeqLength();
            this.format = format;
        }

        /** Every record of {@code file}; at least one usable example or a {@link DatasetException}. */
        static Collector read(Path file, DatasetFormat format, DataOptions options, TextTokenizer tokenizer) {
            Collector collected = new Collector(file, format, options, tokenizer);
            JsonlRecords.forEach(file, collected);
            if (collected.examples.isEmpty()) {
                throw DatasetException.inFile(file, collected.skipped == 0 ? "holds no records"
                        : "no usable example: all " + collected.skipped + " records have no trainable token within "
                        + options.maxSeqLength() + " tokens", null);
            }
            return collected;
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
                    prompts.add(encoder.prompt(record));
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

    /** How prompts are written for the model trained on this data. */
    public PromptTemplate promptTemplate() {
        return PromptTemplate.of(format);
    }

    /** What the first {@code count} validation examples ask, in validation order (none for plain text). */
    public List<Prompt> validationPrompts(int count) {
        return validationPrompts.subList(0, Math.min(count, validationPrompts.size()));
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
