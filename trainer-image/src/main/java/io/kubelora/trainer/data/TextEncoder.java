package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * {@code {"text": ...}}: plain text, loss on every token. EOS is appended so the model learns where
 * a document ends (and packed documents stay apart).
 */
final class TextEncoder implements RecordEncoder {

    private final TextTokenizer tokenizer;

    TextEncoder(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public Example encode(JsonNode record) {
        String text = InvalidRecordException.requiredString(record, "text", "");
        long[] ids = tokenizer.encode(text, true);
        long[] tokens = Arrays.copyOf(ids, ids.length + 1);
        tokens[ids.length] = tokenizer.eosTokenId();
        boolean[] trainable = new boolean[tokens.length];
        Arrays.fill(trainable, true);
        return Example.of(tokens, trainable);
    }

    /** Plain text asks nothing: it is continued, not answered. */
    @Override
    public Prompt prompt(JsonNode record) {
        return null;
    }
}
