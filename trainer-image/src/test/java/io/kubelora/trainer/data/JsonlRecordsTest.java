package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonlRecordsTest {

    @TempDir
    Path dir;

    /** Invalid UTF-8 on line {@code bad} of {@code lines} records of ~60 bytes (line 300 lies past the first 8 KiB). */
    @ParameterizedTest(name = "line {0}")
    @ValueSource(ints = {1, 5, 300})
    void invalidUtf8IsReportedAtItsOwnLine(int bad) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int line = 1; line <= 400; line++) {
            String record = "{\"text\": \"record number " + line + " of the file, é and ü\"}\r\n";
            byte[] encoded = record.getBytes(StandardCharsets.UTF_8);
            if (line == bad) {
                encoded[12] = (byte) 0xC3; // a lead byte followed by an ASCII letter: malformed
            }
            bytes.write(encoded);
        }
        Path file = Files.write(dir.resolve("data.jsonl"), bytes.toByteArray());
        DatasetException e = assertThrows(DatasetException.class, () -> JsonlRecords.forEach(file, (n, r) -> { }));
        assertEquals("data.jsonl:" + bad + ": not valid UTF-8 text (byte 13 of the line): save the file as UTF-8",
                e.getMessage());
    }

    @Test
    void linesEndInLfOrCrLfAndBlankOnesAreSkipped() throws IOException {
        Path file = Files.writeString(dir.resolve("data.jsonl"), "\uFEFF{\"a\": 1}\r\n\n  \n{\"a\": \"ü\"}\n{\"a\": 3}");
        List<String> seen = new ArrayList<>();
        JsonlRecords.forEach(file, (line, record) -> seen.add(line + "=" + record.get("a").asText()));
        assertEquals(List.of("1=1", "4=ü", "5=3"), seen);
    }

    /** Jackson refuses strings over 20,000,000 characters by default; a long document is a record like any other. */
    @Test
    void aRecordLongerThanTwentyMillionCharactersIsRead() throws IOException {
        String text = "0123456789".repeat(2_100_000);
        Path file = Files.writeString(dir.resolve("data.jsonl"), "{\"text\": \"short\"}\n{\"text\": \"" + text
                + "\"}\n{\"text\": \"after\"}\n");
        List<JsonNode> records = new ArrayList<>();
        JsonlRecords.forEach(file, (line, record) -> records.add(record));
        assertEquals(3, records.size());
        assertEquals(text.length(), records.get(1).get("text").asText().length());
        assertEquals("after", records.get(2).get("text").asText());
        assertTrue(text.length() > 20_000_000);
    }
}
