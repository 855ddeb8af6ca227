package io.kubelora.trainer.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a JSONL file one line at a time (blank lines are skipped): each line must hold exactly one
 * JSON object. Problems are reported as {@code file:line: what is wrong}.
 *
 * <p>Lines are split as bytes and each one is decoded on its own, so invalid UTF-8 is reported at its
 * own line. A record may be as long as a Java string can be (about 2 GiB of text): Jackson's default
 * limit of 20 million characters per string value is lifted, since one long document is a legitimate
 * record (it is truncated to maxSeqLength tokens after tokenisation).
 */
final class JsonlRecords {

    /** The longest line a byte array can hold. */
    static final int MAX_LINE_BYTES = Integer.MAX_VALUE - 8;

    private static final ObjectReader READER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .readerFor(JsonNode.class);

    /** Receives each record with its 1-based line number. */
    interface RecordHandler {
        void accept(long line, JsonNode record);
    }

    private JsonlRecords() {
    }

    static void forEach(Path file, RecordHandler handler) {
        try (Lines lines = new Lines(Files.newInputStream(file), file)) {
            long line = 0;
            String text;
            while ((text = lines.next(line + 1)) != null) {
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

    /** Lines of UTF-8 text ending in \n or \r\n, each decoded strictly on its own. */
    private static final class Lines implements AutoCloseable {
        private final InputStream in;
        private final Path file;
        private final byte[] chunk = new byte[1 << 16];
        private int chunkStart;
        private int chunkEnd;
        private byte[] line = new byte[1 << 12];

        Lines(InputStream in, Path file) {
            this.in = in;
            this.file = file;
        }

        /** The next line without its line break, or null at the end of the file. */
        String next(long lineNumber) throws IOException {
            int length = 0;
            boolean any = false;
            while (true) {
                if (chunkStart == chunkEnd) {
                    chunkEnd = in.read(chunk);
                    chunkStart = 0;
                    if (chunkEnd < 0) {
                        chunkEnd = 0;
                        if (!any) {
                            return null;
                        }
                        break;
                    }
                }
                any = true;
                int newline = chunkStart;
                while (newline < chunkEnd && chunk[newline] != '\n') {
                    newline++;
                }
                length = append(length, newline - chunkStart, lineNumber);
                boolean ended = newline < chunkEnd;
                chunkStart = ended ? newline + 1 : chunkEnd;
                if (ended) {
                    break;
                }
            }
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            return decode(length, lineNumber);
        }

        /** Appends {@code count} bytes of the chunk to the line; returns the line's new length. */
        private int append(int length, int count, long lineNumber) {
            long needed = (long) length + count;
            if (needed > MAX_LINE_BYTES) {
                throw DatasetException.atLine(file, lineNumber, "the line is longer than " + MAX_LINE_BYTES
                        + " bytes, the most one record can hold");
            }
            if (needed > line.length) {
                line = Arrays.copyOf(line, (int) Math.min(MAX_LINE_BYTES, Math.max(needed, 2L * line.length)));
            }
            System.arraycopy(chunk, chunkStart, line, length, count);
            return (int) needed;
        }

        private String decode(int length, long lineNumber) {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
            ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
            CharBuffer chars = CharBuffer.allocate(length); // UTF-8 never yields more chars than bytes
            CoderResult result = decoder.decode(bytes, chars, true);
            if (!result.isError()) {
                result = decoder.flush(chars);
            }
            if (result.isError()) {
                throw DatasetException.atLine(file, lineNumber, "not valid UTF-8 text (byte " + (bytes.position() + 1)
                        + " of the line): save the file as UTF-8");
            }
            return chars.flip().toString();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
