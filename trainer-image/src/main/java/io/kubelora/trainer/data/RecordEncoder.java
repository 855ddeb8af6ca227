package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Turns one JSONL record of a dataset format into a tokenised {@link Example}. */
interface RecordEncoder {

    /**
     * @throws InvalidRecordException when the record does not fit the format
     */
    Example encode(JsonNode record);

    static RecordEncoder forFormat(DatasetFormat format, TextTokenizer tokenizer) {
        return switch (format) {
            case ALPACA -> new AlpacaEncoder(tokenizer);
            case CHAT -> new ChatEncoder(tokenizer);
            case TEXT -> new TextEncoder(tokenizer);
            case AUTO -> throw new IllegalArgumentException("resolve the auto format with detect() first");
        };
    }

    /**
     * The format a record is written in, from its keys: {@code messages} means chat,
     * {@code instruction} + {@code output} means alpaca, {@code text} means text.
     */
    static DatasetFormat detect(JsonNode record) {
        if (record.has("messages")) {
            return DatasetFormat.CHAT;
        }
        if (record.has("instruction") && record.has("output")) {
            return DatasetFormat.ALPACA;
        }
        if (record.has("text")) {
            return DatasetFormat.TEXT;
        }
        List<String> keys = new ArrayList<>();
        record.fieldNames().forEachRemaining(keys::add);
        throw new InvalidRecordException("cannot detect the dataset format from the keys " + keys
                + ": expected \"messages\" (chat), \"instruction\" and \"output\" (alpaca) or \"text\" (text)");
    }
}
