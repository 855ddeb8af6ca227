package io.kubelora.trainer.merge;

import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.HalfFloats;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.SafetensorsFormatException;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Moves one tensor from a source safetensors file into a {@link ShardFileWriter} in fixed-size blocks: a
 * kernel-side copy when the bytes stay the same, otherwise read -> decode to fp32 -> (add the LoRA update) ->
 * encode to the output dtype (rounding to nearest even) -> write. Decoding, the update and encoding of a block
 * are split by rows over the common fork-join pool; reading and writing stay sequential. Working memory is one
 * block of 1 Mi elements (or one row, if a row is longer) as fp32 floats, raw input bytes (up to 8 per element)
 * and encoded output bytes: 16 MiB, whatever the tensor's size.
 */
final class TensorTranscoder implements AutoCloseable {

    static final int BLOCK_ELEMENTS = 1 << 20;

    private final Map<Path, Source> sources = new HashMap<>();
    private final int parts = ForkJoinPool.getCommonPoolParallelism() + 1; // the pool's workers plus the caller
    private float[] floats = new float[0];
    private ByteBuffer raw = ByteBuffer.allocateDirect(0);
    private ByteBuffer encoded = ByteBuffer.allocateDirect(0);

    /** An open source file and where its data section starts. */
    private record Source(Path path, FileChannel channel, long dataStart) {
    }

    /** Writes {@code tensor} unchanged apart from converting floating-point data to {@code dtype}. */
    void copy(SafetensorsFile file, TensorInfo tensor, DType dtype, ShardFileWriter out) throws IOException {
        out.beginTensor(tensor.name());
        Source source = source(file.path());
        if (tensor.dtype() == dtype || !tensor.dtype().isFloatingPoint()) {
            transferRaw(source, tensor, out);
            return;
        }
        long total = tensor.elementCount();
        ensureCapacity((int) Math.min(BLOCK_ELEMENTS, total));
        for (long first = 0; first < total; first += BLOCK_ELEMENTS) {
            int n = (int) Math.min(BLOCK_ELEMENTS, total - first);
            read(source, tensor, first, n);
            int chunk = Math.max(1, (n + parts - 1) / parts);
            IntStream.range(0, parts).parallel().forEach(p -> {
                int from = Math.min(n, p * chunk);
                int to = Math.min(n, from + chunk);
                decode(tensor.dtype(), from, to);
                encode(dtype, from, to);
            });
            writeEncoded(dtype, n, out);
        }
    }

    /** Writes {@code tensor} + {@code delta} in {@code dtype}; the tensor is the [out, in] weight of the delta. */
    void merge(SafetensorsFile file, TensorInfo tensor, LoraDelta delta, DType dtype, ShardFileWriter out)
            throws IOException {
        out.beginTensor(tensor.name());
        Source source = source(file.path());
        int in = delta.inFeatures();
        int rowsPerBlock = Math.max(1, BLOCK_ELEMENTS / in);
        ensureCapacity(Math.min(rowsPerBlock, delta.outFeatures()) * in);
        for (int row = 0; row < delta.outFeatures(); row += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, delta.outFeatures() - row);
            int firstRow = row;
            read(source, tensor, (long) row * in, rows * in);                  // W[row : row + rows, :]
            int rowsPerPart = Math.max(1, (rows + parts - 1) / parts);
            IntStream.range(0, parts).parallel().forEach(p -> {
                int from = Math.min(rows, p * rowsPerPart);
                int to = Math.min(rows, from + rowsPerPart);
                decode(tensor.dtype(), from * in, to * in);                    // [to - from, in] fp32
                delta.addTo(floats, from, firstRow + from, to - from);         // += scaling · B[rows] A
                encode(dtype, from * in, to * in);
            });
            writeEncoded(dtype, rows * in, out);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Source s : sources.values()) {
            try {
                s.channel().close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        sources.clear();
        if (first != null) {
            throw first;
        }
    }

    private void ensureCapacity(int elements) {
        if (floats.length < elements) {
            floats = new float[elements];
            raw = ByteBuffer.allocateDirect(elements * 8).order(ByteOrder.LITTLE_ENDIAN); // room for F64 input
            encoded = ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Reads elements [first, first + n) of the tensor's raw bytes into {@link #raw}. */
    private void read(Source source, TensorInfo tensor, long first, int n) throws IOException {
        int size = tensor.dtype().byteSize();
        raw.clear().limit(n * size);
        long position = source.dataStart() + tensor.begin() + first * size;
        while (raw.hasRemaining()) {
            int got = source.channel().read(raw, position);
            if (got < 0) {
                throw new SafetensorsFormatException(source.path(), "unexpected end of file in tensor '"
                        + tensor.name() + "'");
            }
            position += got;
        }
    }

    /** floats[from, to) = the raw elements [from, to) as fp32. */
    private void decode(DType dtype, int from, int to) {
        switch (dtype) {
            case F32 -> {
                for (int i = from; i < to; i++) {
                    floats[i] = raw.getFloat(4 * i);
                }
            }
            case BF16 -> {
                for (int i = from; i < to; i++) {
                    floats[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case F16 -> {
                for (int i = from; i < to; i++) {
                    floats[i] = HalfFloats.f16ToFloat(raw.getShort(2 * i));
                }
            }
            case F64 -> {
                for (int i = from; i < to; i++) {
                    floats[i] = (float) raw.getDouble(8 * i);
                }
            }
            default -> throw new IllegalArgumentException("cannot read " + dtype.headerName() + " as floating point");
        }
    }

    /** The encoded bytes of elements [from, to) = floats[from, to) in {@code dtype}. */
    private void encode(DType dtype, int from, int to) {
        switch (dtype) {
            case F32 -> {
                for (int i = from; i < to; i++) {
                    encoded.putFloat(4 * i, floats[i]);
                }
            }
            case BF16 -> {
                for (int i = from; i < to; i++) {
                    encoded.putShort(2 * i, HalfFloats.floatToBf16(floats[i]));
                }
            }
            case F16 -> {
                for (int i = from; i < to; i++) {
                    encoded.putShort(2 * i, HalfFloats.floatToF16(floats[i]));
                }
            }
            default -> throw new IllegalArgumentException("cannot write floating-point data as " + dtype.headerName());
        }
    }

    private void writeEncoded(DType dtype, int n, ShardFileWriter out) throws IOException {
        encoded.clear().limit(n * dtype.byteSize());
        out.write(encoded);
        encoded.clear(); // absolute puts of the next block may use the whole buffer
    }

    /** Copies the tensor's bytes file-to-file without passing them through the Java heap. */
    private void transferRaw(Source source, TensorInfo tensor, ShardFileWriter out) throws IOException {
        long position = source.dataStart() + tensor.begin();
        long remaining = tensor.byteLength();
        while (remaining > 0) {
            long n = source.channel().transferTo(position, remaining, out.channel());
            if (n <= 0) {
                throw new SafetensorsFormatException(source.path(), "unexpected end of file while copying tensor '"
                        + tensor.name() + "'");
            }
            out.wrote(n);
            position += n;
            remaining -= n;
        }
    }

    private Source source(Path path) throws IOException {
        Source s = sources.get(path);
        if (s == null) {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            try {
                // The file was validated when SafetensorsFile opened it: an 8-byte length, then the header.
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                while (length.hasRemaining()) {
                    if (channel.read(length, length.position()) < 0) {
                        throw new SafetensorsFormatException(path, "shorter than its 8-byte header length");
                    }
                }
                s = new Source(path, channel, 8 + length.getLong(0));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            sources.put(path, s);
        }
        return s;
    }
}
