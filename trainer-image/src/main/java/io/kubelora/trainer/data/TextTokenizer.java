package io.kubelora.trainer.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A model's Hugging Face tokenizer: {@code tokenizer.json} run by the Rust tokenizers library (through
 * DJL, with its truncation and padding switched off: the data pipeline decides both), plus the
 * special tokens and chat template of {@code tokenizer_config.json}.
 *
 * <p>Encoding with special tokens applies the tokenizer's own post-processor (e.g. Llama 3's BOS);
 * when {@code add_bos_token} is set and the post-processor did not add BOS, it is prepended, as
 * transformers does for such tokenizers. Run with {@code -Dai.djl.offline=true}: the native library
 * ships inside the DJL tokenizers jar and is never downloaded.
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final TokenizerConfig config;
    private final int vocabSize;
    private final Set<String> specialTokens;
    private final OptionalLong bosId;
    private final OptionalLong eosId;
    private final OptionalLong padId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, TokenizerConfig config, TokenizerVocabulary vocabulary) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.vocabSize = vocabulary.size();
        this.specialTokens = vocabulary.specialTokens();
        this.bosId = vocabulary.idOf(config.bosToken(), "bos_token");
        this.eosId = vocabulary.idOf(config.eosToken(), "eos_token");
        this.padId = vocabulary.idOf(config.padToken(), "pad_token");
    }

    /** Loads {@code tokenizer.json} and {@code tokenizer_config.json} from a model folder. */
    public static TextTokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model folder " + modelDir + " has no tokenizer.json");
        }
        TokenizerConfig config = TokenizerConfig.read(modelDir);
        TokenizerVocabulary vocabulary = TokenizerVocabulary.read(file);
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new TextTokenizer(tokenizer, config, vocabulary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a tokenizer the tokenizers library can read: "
                    + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens}, as the model expects a fresh sequence. */
    public long[] encode(String text, boolean addSpecialTokens) {
        long[] ids = tokenizer.encode(text, addSpecialTokens, false).getIds();
        if (addSpecialTokens && needsBos(ids)) {
            long[] withBos = new long[ids.length + 1];
            withBos[0] = bosId.getAsLong();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /**
     * Token ids of {@code text} with the offset at which each token starts, in Java {@code char} indexes of
     * {@code text}. Without special tokens the text carries its own (as a rendered chat does); with them, the
     * tokens the tokenizer adds (BOS) start at 0.
     */
    TokenSpans encodeWithOffsets(String text, boolean addSpecialTokens) {
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        CharSpan[] spans = encoding.getCharTokenSpans();
        long[] ids = encoding.getIds();
        // The library counts offsets in Unicode code points; Java strings index UTF-16 units.
        int[] starts = new int[ids.length];
        int codePoint = 0;
        int index = 0;
        for (int t = 0; t < ids.length; t++) {
            int target = spans[t] == null ? 0 : spans[t].getStart();
            if (target < codePoint) {
                codePoint = 0;
                index = 0;
            }
            while (codePoint < target && index < text.length()) {
                index += Character.charCount(text.codePointAt(index));
                codePoint++;
            }
            starts[t] = index;
        }
        if (addSpecialTokens && needsBos(ids)) {
            long[] withBos = new long[ids.length + 1];
            int[] startsWithBos = new int[ids.length + 1];
            withBos[0] = bosId.getAsLong();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            System.arraycopy(starts, 0, startsWithBos, 1, ids.length);
            return new TokenSpans(withBos, startsWithBos);
        }
        return new TokenSpans(ids, starts);
    }

    /** Whether add_bos_token asks for a BOS that the post-processor did not add. */
    private boolean needsBos(long[] ids) {
        return config.addBosToken() && bosId.isPresent() && (ids.length == 0 || ids[0] != bosId.getAsLong());
    }

    /** Token ids and where each token starts in the encoded text. */
    record TokenSpans(long[] ids, int[] starts) {
    }

    /** Text of {@code ids}, special tokens included (as Hugging Face decodes by default). */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, false);
    }

    public long eosTokenId() {
        return eosId.orElseThrow(() -> new IllegalStateException(
                "the tokenizer has no eos_token (tokenizer_config.json); it is needed to end examples"));
    }

    /** The padding id: {@code pad_token}, or the EOS id when the tokenizer has no pad token. */
    public long padTokenId() {
        return padId.isPresent() ? padId.getAsLong() : eosTokenId();
    }

    public OptionalLong bosTokenId() {
        return bosId;
    }

    public Optional<String> chatTemplate() {
        return config.chatTemplateText();
    }

    public TokenizerConfig config() {
        return config;
    }

    /** One more than the largest id the tokenizer can produce (vocabulary plus added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /** Texts of the added tokens marked special (e.g. {@code <|eot_id|>}, {@code <|im_end|>}). */
    public Set<String> specialTokens() {
        return specialTokens;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
