package io.kubelora.trainer.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReadsF32Bf16F16WithMetadata() throws IOException {
        Path file = dir.resolve("t.safetensors");
        float[] a = {1f, -2.5f, 3.25f, 1e-3f, 7f, 0f};
        float[] b = {0.1f, 0.2f, -0.3f};
        float[] c = {65504f, -1f};
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(
                new SafetensorsWriter.Entry("a", DType.F32, new long[] {2, 3}),
                new SafetensorsWriter.Entry("b", DType.BF16, new long[] {3}),
                new SafetensorsWriter.Entry("c", DType.F16, new long[] {1, 2})), Map.of("format", "pt"))) {
            w.write("a", a);
            w.write("b", b);
            w.write("c", c);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(List.of("a", "b", "c"), f.tensors().stream().map(TensorInfo::name).toList());
            TensorInfo info = f.tensor("a");
            assertEquals(DType.F32, info.dtype());
            assertArrayEquals(new long[] {2, 3}, info.shape());
            assertArrayEquals(a, f.readFloats("a"));
            float[] bRead = f.readFloats("b");
            for (int i = 0; i < b.length; i++) {
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(b[i])), bRead[i]);
                assertEquals(b[i], bRead[i], 2e-3);
            }
            assertArrayEquals(c, f.readFloats("c"));
            assertEquals(DType.BF16, f.tensor("b").dtype());
        }
        // Header padded so the data starts 8-byte aligned, as the reference writer does.
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
    }

    @Test
    void writerRefusesOutOfOrderOrIncompleteWritesAndLeavesNoFile() throws IOException {
        Path file = dir.resolve("partial.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(file, List.of(
                new SafetensorsWriter.Entry("x", DType.F32, new long[] {2}),
                new SafetensorsWriter.Entry("y", DType.F32, new long[] {2})), Map.of());
        assertThrows(IllegalStateException.class, () -> w.write("y", new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.write("x", new float[3]));
        w.write("x", new float[2]);
        IllegalStateException e = assertThrows(IllegalStateException.class, w::close);
        assertTrue(e.getMessage().contains("'y'"), e.getMessage());
        assertTrue(Files.notExists(file));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the temporary file is removed");
        }
    }

    private Path raw(String header, int dataBytes) throws IOException {
        return raw(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private Path raw(long declaredLength, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(declaredLength).put(json);
        Path file = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(file, buf.array());
        return file;
    }

    private String failure(Path file) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesHugeHeaderLength() throws IOException {
        assertTrue(failure(raw(Long.MAX_VALUE, "{}", 0)).contains("header length"));
        assertTrue(failure(raw(200L * 1024 * 1024, "{}", 0)).contains("outside"));
    }

    @Test
    void refusesHeaderPastEndOfFile() throws IOException {
        assertTrue(failure(raw(1000, "{}", 0)).contains("truncated"));
    }

    @Test
    void refusesFileShorterThanTheLengthPrefix() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertTrue(failure(file).contains("shorter than"));
    }

    @Test
    void refusesInvalidJson() throws IOException {
        assertTrue(failure(raw("{\"a\": [", 0)).contains("not valid JSON"));
        assertTrue(failure(raw("[1, 2]", 0)).contains("JSON object"));
        String twice = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertTrue(failure(raw(twice, 8)).contains("Duplicate field 'w'"));
    }

    @Test
    void refusesOffsetsPastTheEnd() throws IOException {
        String msg = failure(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("past the end"), msg);
    }

    @Test
    void refusesDtypeShapeMismatch() throws IOException {
        String msg = failure(raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("needs 6"), msg);
    }

    @Test
    void refusesOverlappingTensors() throws IOException {
        String msg = failure(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(msg.contains("'a'") && msg.contains("'b'") && msg.contains("overlap"), msg);
    }

    @Test
    void refusesUnknownDtypeAndBadFields() throws IOException {
        assertTrue(failure(raw("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1))
                .contains("unknown dtype 'Q4'"));
        assertTrue(failure(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .contains("'shape'"));
        assertTrue(failure(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)).contains("'data_offsets'"));
        assertTrue(failure(raw("{\"__metadata__\":{\"k\":1}}", 0)).contains("__metadata__.k"));
    }

    @Test
    void refusesTruncatedData() throws IOException {
        Path file = dir.resolve("full.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(
                new SafetensorsWriter.Entry("w", DType.F32, new long[] {64})), Map.of())) {
            w.write("w", new float[64]);
        }
        byte[] bytes = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertTrue(failure(cut).contains("truncated"));
    }

    @Test
    void readingAMissingOrIntegerTensorAsFloatsNamesIt() throws IOException {
        Path file = raw("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(assertThrows(SafetensorsFormatException.class, () -> f.readFloats("nope")).getMessage()
                    .contains("no tensor 'nope'"));
            assertTrue(assertThrows(SafetensorsFormatException.class, () -> f.readFloats("ids")).getMessage()
                    .contains("I64"));
        }
        assertThrows(NoSuchFileException.class, () -> SafetensorsFile.open(dir.resolve("absent.safetensors")));
    }

    @Test
    void shardedWeightsFollowTheIndex() throws IOException {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        for (int shard = 1; shard <= 2; shard++) {
            try (SafetensorsWriter w = SafetensorsWriter.create(model.resolve("model-0000" + shard + "-of-00002.safetensors"),
                    List.of(new SafetensorsWriter.Entry("t" + shard, DType.F32, new long[] {2})), Map.of())) {
                w.write("t" + shard, new float[] {shard, -shard});
            }
        }
        Files.writeString(model.resolve(ShardedWeights.INDEX_FILE), "{\"metadata\":{},\"weight_map\":{"
                + "\"t1\":\"model-00001-of-00002.safetensors\",\"t2\":\"model-00002-of-00002.safetensors\"}}");
        try (ShardedWeights w = ShardedWeights.open(model)) {
            assertEquals(java.util.Set.of("t1", "t2"), w.names());
            assertArrayEquals(new float[] {2, -2}, w.readFloats("t2"));
            assertTrue(assertThrows(SafetensorsFormatException.class, () -> w.readFloats("t3")).getMessage()
                    .contains("'t3'"));
        }
        Files.writeString(model.resolve(ShardedWeights.INDEX_FILE),
                "{\"weight_map\":{\"t1\":\"model-00002-of-00002.safetensors\"}}");
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> ShardedWeights.open(model)).getMessage()
                .contains("does not contain"));
        Files.writeString(model.resolve(ShardedWeights.INDEX_FILE), "{\"weight_map\":{\"t1\":\"../x.safetensors\"}}");
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> ShardedWeights.open(model)).getMessage()
                .contains("weight_map.t1"));
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        assertTrue(assertThrows(NoSuchFileException.class, () -> ShardedWeights.open(empty)).getMessage()
                .contains("model.safetensors"));
    }
}
