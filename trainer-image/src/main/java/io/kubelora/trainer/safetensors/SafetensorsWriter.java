package io.kubelora.trainer.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streaming safetensors writer: the header (all names, dtypes, shapes and offsets) is written first, then
 * each tensor's data in the declared order, converted from fp32 to the declared dtype (F32, F16 or BF16,
 * rounding to nearest even). Data goes to a temporary file that replaces {@code path} only when every
 * tensor has been written, so a failed write never leaves a half file under the final name.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** One tensor to write. */
    public record Entry(String name, DType dtype, long[] shape) {
        public Entry {
            shape = shape.clone();
            if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
                throw new IllegalArgumentException("tensor '" + name + "': the writer converts fp32 to F32, F16 "
                        + "or BF16, not " + dtype.headerName());
            }
        }

        public long elementCount() {
            return TensorInfo.elementCount(shape);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path path;
    private final Path temporary;
    private final FileChannel channel;
    private final List<Entry> entries;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private int next;
    private boolean closed;

    private SafetensorsWriter(Path path, Path temporary, FileChannel channel, List<Entry> entries) {
        this.path = path;
        this.temporary = temporary;
        this.channel = channel;
        this.entries = entries;
    }

    /** Starts {@code path} with a header declaring {@code entries} (in that data order) and {@code metadata}. */
    public static SafetensorsWriter create(Path path, List<Entry> entries, Map<String, String> metadata)
            throws IOException {
        Set<String> names = new HashSet<>();
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (!names.add(e.name()) || e.name().equals("__metadata__")) {
                throw new IllegalArgumentException("duplicate or reserved tensor name '" + e.name() + "'");
            }
            long bytes = Math.multiplyExact(e.elementCount(), e.dtype().byteSize());
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().headerName());
            ArrayNode shape = t.putArray("shape");
            Arrays.stream(e.shape()).forEach(shape::add);
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // data section 8-byte aligned, padded with spaces as usual
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, path.getFileName().toString(), ".partial");
        FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            while (head.hasRemaining()) {
                channel.write(head);
            }
        } catch (IOException e) {
            channel.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        return new SafetensorsWriter(path, temporary, channel, List.copyOf(entries));
    }

    /** Writes the next declared tensor; {@code name} must be the next one and {@code values} its full data. */
    public void write(String name, float[] values) throws IOException {
        if (next >= entries.size()) {
            throw new IllegalStateException(path + ": all " + entries.size() + " tensors already written");
        }
        Entry entry = entries.get(next);
        if (!entry.name().equals(name)) {
            throw new IllegalStateException(path + ": expected tensor '" + entry.name() + "' next, got '" + name + "'");
        }
        if (values.length != entry.elementCount()) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' declared with "
                    + entry.elementCount() + " elements, got " + values.length);
        }
        for (float v : values) {
            if (buffer.remaining() < 4) {
                flush();
            }
            switch (entry.dtype()) {
                case F32 -> buffer.putFloat(v);
                case BF16 -> buffer.putShort(HalfFloats.floatToBf16(v));
                case F16 -> buffer.putShort(HalfFloats.floatToF16(v));
                default -> throw new IllegalStateException(entry.dtype().name());
            }
        }
        flush();
        next++;
    }

    /** Publishes the file under its final name; fails (and discards it) if a declared tensor was not written. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (channel) {
            if (next < entries.size()) {
                throw new IllegalStateException(path + ": closed before tensor '" + entries.get(next).name()
                        + "' was written");
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }
}
