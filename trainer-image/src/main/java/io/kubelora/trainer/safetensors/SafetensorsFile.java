package io.kubelora.trainer.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reader of one safetensors file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}}), then the raw
 * little-endian tensor data. The header is validated up front (size bound, offsets inside the file and
 * matching dtype x shape, no overlaps); tensor data is memory-mapped window by window when read, so
 * files and tensors past 2 GiB work.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final String METADATA_KEY = "__metadata__";
    /** Bytes mapped at once when converting a tensor. */
    private static final int WINDOW_BYTES = 64 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // a name listed twice is ambiguous

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; every format problem is a {@link SafetensorsFormatException}. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "safetensors file not found");
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsFormatException(path, "file has " + fileSize + " bytes, shorter than the "
                        + "8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, path);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " is outside 2.." + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + headerLength > fileSize) {
                throw new SafetensorsFormatException(path, "header length " + headerLength
                        + " runs past the end of the file (" + fileSize + " bytes): truncated file?");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8, path);
            long dataStart = 8 + headerLength;
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (JsonProcessingException e) {
                throw new SafetensorsFormatException(path, "header is not valid JSON: " + e.getOriginalMessage());
            }
            if (root == null || !root.isObject()) {
                throw new SafetensorsFormatException(path, "header must be a JSON object");
            }
            Map<String, String> metadata = Collections.emptyMap();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals(METADATA_KEY)) {
                    metadata = parseMetadata(path, field.getValue());
                } else {
                    tensors.put(field.getKey(), parseTensor(path, field.getKey(), field.getValue(),
                            fileSize - dataStart));
                }
            }
            checkNoOverlaps(path, tensors.values());
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors), metadata);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, in header order. */
    public Collection<TensorInfo> tensors() {
        return tensors.values();
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}, or an exception naming the file and the tensor. */
    public TensorInfo tensor(String name) throws SafetensorsFormatException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsFormatException(path, "no tensor '" + name + "'");
        }
        return info;
    }

    /** A read-only little-endian mapping of {@code length} bytes of a tensor's data from {@code byteOffset}. */
    public ByteBuffer map(TensorInfo tensor, long byteOffset, int length) throws IOException {
        if (byteOffset < 0 || length < 0 || byteOffset + length > tensor.byteLength()) {
            throw new IndexOutOfBoundsException("bytes [" + byteOffset + ", " + (byteOffset + length)
                    + ") outside tensor " + tensor);
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + tensor.begin() + byteOffset, length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The whole tensor converted to fp32 (F32, F16, BF16 or F64 data). */
    public float[] readFloats(String name) throws IOException {
        TensorInfo info = tensor(name);
        long count = info.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(path, "tensor '" + name + "' has " + count
                    + " elements, too many for one Java array; read it in parts");
        }
        float[] values = new float[(int) count];
        readFloats(info, 0, FloatBuffer.wrap(values));
        return values;
    }

    /**
     * Converts {@code destination.remaining()} elements of {@code tensor}, starting at element
     * {@code firstElement}, to fp32 into {@code destination}.
     */
    public void readFloats(TensorInfo tensor, long firstElement, FloatBuffer destination) throws IOException {
        DType dtype = tensor.dtype();
        if (!dtype.isFloatingPoint()) {
            throw new SafetensorsFormatException(path, "tensor '" + tensor.name() + "' has dtype "
                    + dtype.headerName() + ", not a floating-point type");
        }
        long remaining = destination.remaining();
        if (firstElement < 0 || firstElement + remaining > tensor.elementCount()) {
            throw new IndexOutOfBoundsException("elements [" + firstElement + ", " + (firstElement + remaining)
                    + ") outside tensor " + tensor);
        }
        int size = dtype.byteSize();
        long element = firstElement;
        // Positional reads into one reused buffer rather than mappings: a mapping stays resident (and counts in
        // the process's RSS) until the garbage collector frees it, which made a model load look twice its size.
        ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(WINDOW_BYTES, remaining * size))
                .order(ByteOrder.LITTLE_ENDIAN);
        while (remaining > 0) {
            int chunk = (int) Math.min(remaining, bytes.capacity() / size);
            readFully(bytes, dataStart + tensor.begin() + element * size, chunk * size, tensor);
            switch (dtype) {
                case F32 -> destination.put(bytes.asFloatBuffer());
                case BF16 -> {
                    for (int i = 0; i < chunk; i++) {
                        destination.put(HalfFloats.bf16ToFloat(bytes.getShort(2 * i)));
                    }
                }
                case F16 -> {
                    for (int i = 0; i < chunk; i++) {
                        destination.put(HalfFloats.f16ToFloat(bytes.getShort(2 * i)));
                    }
                }
                case F64 -> {
                    for (int i = 0; i < chunk; i++) {
                        destination.put((float) bytes.getDouble(8 * i));
                    }
                }
                default -> throw new IllegalStateException(dtype.name());
            }
            element += chunk;
            remaining -= chunk;
        }
    }

    private void readFully(ByteBuffer buffer, long position, int length, TensorInfo tensor) throws IOException {
        buffer.clear().limit(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new SafetensorsFormatException(path, "tensor '" + tensor.name() + "' ends past the end of "
                        + "the file (was it truncated while being read?)");
            }
        }
        buffer.flip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path path)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new SafetensorsFormatException(path, "unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode node) throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(path, METADATA_KEY + " must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(path, METADATA_KEY + "." + e.getKey() + " must be a string");
            }
            metadata.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize)
            throws SafetensorsFormatException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(path, where + "entry must be an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(path, where + "missing string field 'dtype'");
        }
        DType dtype;
        try {
            dtype = DType.fromHeaderName(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(path, where + e.getMessage());
        }
        long[] shape = longArray(path, where, node.get("shape"), "shape", -1);
        long[] offsets = longArray(path, where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsFormatException(path, where + "data_offsets [" + begin + ", " + end
                    + "] begin after end");
        }
        if (end > dataSize) {
            throw new SafetensorsFormatException(path, where + "data_offsets end " + end
                    + " is past the end of the data (" + dataSize + " bytes): truncated file?");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(path, where + "shape overflows");
        }
        if (end - begin != expected) {
            throw new SafetensorsFormatException(path, where + "data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes but dtype " + dtype.headerName() + " x shape "
                    + Arrays.toString(shape) + " needs " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longArray(Path path, String where, JsonNode node, String field, int requiredLength)
            throws SafetensorsFormatException {
        if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw new SafetensorsFormatException(path, where + "'" + field + "' must be an array"
                    + (requiredLength >= 0 ? " of " + requiredLength + " integers" : " of integers"));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
                throw new SafetensorsFormatException(path, where + "'" + field + "' holds " + v
                        + ", not a non-negative integer");
            }
            values[i] = v.asLong();
        }
        return values;
    }

    private static void checkNoOverlaps(Path path, Collection<TensorInfo> tensors) throws SafetensorsFormatException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.removeIf(t -> t.byteLength() == 0);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo current = byOffset.get(i);
            if (current.begin() < previous.end()) {
                throw new SafetensorsFormatException(path, "tensors '" + previous.name() + "' and '"
                        + current.name() + "' overlap (bytes " + current.begin() + " < " + previous.end() + ")");
            }
        }
    }
}
