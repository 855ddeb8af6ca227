package io.kubelora.trainer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a JSONL file one line at a time (blank lines are skipped): each line must hold exactly one
 * JSON object. Problems are reported as {@code file:line: what is wrong}.
 */
final class JsonlRecords {

    private static final ObjectReader READER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .readerFor(JsonNode.class);

    /** Receives each record with its 1-based line number. */
    interface RecordHandler {
        void accept(long line, JsonNode record);
    }

    private JsonlRecords() {
    }

    static void forEach(Path file, RecordHandler handler) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long line = 0;
            String text;
            while ((text = readLine(in, file, line + 1)) != null) {
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    continue;
                }
                handler.accept(line, parse(file, line, text));
            }
        } catch (IOException e) {
            throw DatasetException.inFile(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static String readLine(BufferedReader in, Path file, long line) throws IOException {
        try {
            return in.readLine();
        } catch (CharacterCodingException e) {
            throw DatasetException.atLine(file, line, "not valid UTF-8 text", e);
        }
    }

    private static JsonNode parse(Path file, long line, String text) {
        if (line == 1 && text.strip().startsWith("[")) {
            throw DatasetException.atLine(file, line, "a JSON array: the dataset must be JSONL, one JSON object "
                    + "per line");
        }
        JsonNode node;
        try {
            node = READER.readValue(text);
        } catch (JsonProcessingException e) {
            throw DatasetException.atLine(file, line, "invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw DatasetException.atLine(file, line, "expected a JSON object, found "
                    + (node == null ? "nothing" : InvalidRecordException.kind(node)));
        }
        return node;
    }
}
