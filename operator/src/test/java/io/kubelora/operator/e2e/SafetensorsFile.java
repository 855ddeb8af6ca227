package io.kubelora.operator.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file as the test reads it, independently of the trainer's reader: an 8-byte little-endian
 * header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the data (offsets relative to
 * its start). Enough to list tensors and compare their raw bytes.
 */
final class SafetensorsFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor's header entry; {@code begin} and {@code end} are absolute positions in the file. */
    record Tensor(String dtype, List<Long> shape, long begin, long end) {
    }

    private final Path file;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path file, Map<String, Tensor> tensors) {
        this.file = file;
        this.tensors = tensors;
    }

    static SafetensorsFile open(Path file) throws IOException {
        long size = Files.size(file);
        JsonNode header;
        long dataStart;
        try (InputStream in = Files.newInputStream(file)) {
            long length = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertTrue(length > 0 && length < size - 8, "header length " + length + " of " + file);
            header = JSON.readTree(in.readNBytes((int) length));
            dataStart = 8 + length;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var it = header.fields(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode info = entry.getValue();
            List<Long> shape = new ArrayList<>();
            info.path("shape").forEach(d -> shape.add(d.asLong()));
            long begin = dataStart + info.path("data_offsets").path(0).asLong();
            long end = dataStart + info.path("data_offsets").path(1).asLong();
            assertTrue(begin <= end && end <= size, entry.getKey() + " lies outside " + file);
            tensors.put(entry.getKey(), new Tensor(info.path("dtype").asText(), List.copyOf(shape), begin, end));
        }
        return new SafetensorsFile(file, Map.copyOf(tensors));
    }

    /** The header entries by tensor name (without __metadata__). */
    Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The raw little-endian bytes of one tensor. */
    byte[] bytes(String name) throws IOException {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + " in " + file);
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(t.end() - t.begin()));
        try (FileChannel channel = FileChannel.open(file)) {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, t.begin() + buffer.position()) < 0) {
                    throw new IOException(file + " ends inside tensor " + name);
                }
            }
        }
        return buffer.array();
    }
}
