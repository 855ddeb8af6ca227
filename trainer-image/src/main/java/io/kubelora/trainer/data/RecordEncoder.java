package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Turns one JSONL record of a dataset format into a tokenised {@link Example}, and tells what it asks. */
interface RecordEncoder {

    /**
     * @throws InvalidRecordException when the record does not fit the format
     */
    Example encode(JsonNode record);

    /** What the record asks the model, before its answer; null when the format has no prompt (plain text). */
    Prompt prompt(JsonNode record);

    static RecordEncoder forFormat(DatasetFormat format, TextTokenizer tokenizer) {
        return switch (format) {
            case ALPACA -> AlpacaEncoder.alpaca(tokenizer);
            case DOLLY -> AlpacaEncoder.dolly(tokenizer);
            case CHAT -> new ChatEncoder(tokenizer);
            case SHAREGPT -> new ShareGptEncoder(tokenizer);
            case TEXT -> new TextEncoder(tokenizer);
            case AUTO -> throw new IllegalArgumentException("resolve the auto format with detect() first");
        };
    }

    /**
     * The format a record is written in, from its keys: {@code messages} means chat, {@code conversations}
     * ShareGPT, {@code instruction} + {@code output} alpaca, {@code instruction} + {@code response} Dolly,
     * {@code text} text.
     */
    static DatasetFormat detect(JsonNode record) {
        if (record.has("messages")) {
            return DatasetFormat.CHAT;
        }
        if (record.has("conversations")) {
            return DatasetFormat.SHAREGPT;
        }
        if (record.has("instruction") && record.has("output")) {
            return DatasetFormat.ALPACA;
        }
        if (record.has("instruction") && record.has("response")) {
            return DatasetFormat.DOLLY;
        }
        if (record.has("text")) {
            return DatasetFormat.TEXT;
        }
        List<String> keys = new ArrayList<>();
        record.fieldNames().forEachRemaining(keys::add);
        throw new InvalidRecordException("cannot detect the dataset format from the keys " + keys
                + ": expected \"messages\" (chat), \"conversations\" (sharegpt), \"instruction\" and \"output\" "
                + "(alpaca), \"instruction\" and \"response\" (dolly) or \"text\" (text)");
    }
}
