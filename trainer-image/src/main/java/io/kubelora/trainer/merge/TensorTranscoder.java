package io.kubelora.trainer.merge;

import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.HalfFloats;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.SafetensorsFormatException;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * Moves one tensor from a source safetensors file into a {@link ShardFileWriter} in fixed-size blocks: a
 * kernel-side copy when the bytes stay the same, otherwise read -> decode to fp32 -> (add the LoRA update) ->
 * encode to the output dtype (rounding to nearest even) -> write. A block is split by rows over the common
 * fork-join pool, and each thread carries one row at a time through decode, update and encode in its own
 * small arrays, which stay in the L1 cache; raw and encoded bytes move between those arrays and the I/O buffers
 * with bulk copies (no per-element buffer calls). Output is double-buffered: a writer thread appends block i to
 * the shard while block i + 1 is read and converted, so the disk or page cache and the CPU work at the same
 * time. Working memory is one block of 1 Mi elements (or one row, if a row is longer) as raw input bytes (up to
 * 8 per element) and two blocks of encoded output bytes (up to 4 per element), plus three row-sized arrays per
 * thread: about 16 MiB of direct buffers, whatever the tensor's size. Call {@link #flush} before closing a
 * writer that blocks were handed to.
 */
final class TensorTranscoder implements AutoCloseable {

    static final int BLOCK_ELEMENTS = 1 << 20;
    /** Elements one thread converts at a time when a tensor only changes dtype (no rows to follow). */
    private static final int PIECE_ELEMENTS = 4096;

    private final Map<Path, Source> sources = new HashMap<>();
    private final int parts = ForkJoinPool.getCommonPoolParallelism() + 1; // the pool's workers plus the caller
    private final Lane[] lanes = new Lane[parts];
    private ByteBuffer raw = ByteBuffer.allocateDirect(0);
    private ByteBuffer encoded = ByteBuffer.allocateDirect(0); // filled by the lanes
    private ByteBuffer spare = ByteBuffer.allocateDirect(0); // the block being written, if any
    private final ExecutorService writer = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "kubelora-merge-writer");
        thread.setDaemon(true);
        return thread;
    });
    private Future<?> pendingWrite;

    /** An open source file and where its data section starts. */
    private record Source(Path path, FileChannel channel, long dataStart) {
    }

    /** One thread's row-sized working arrays: the values in fp32, the LoRA sum, and 16-bit encoded values. */
    private static final class Lane {
        final float[] values;
        final float[] sum;
        final short[] halves;

        Lane(int length) {
            values = new float[length];
            sum = new float[length];
            halves = new short[length];
        }
    }

    /** Writes {@code tensor} unchanged apart from converting floating-point data to {@code dtype}. */
    void copy(SafetensorsFile file, TensorInfo tensor, DType dtype, ShardFileWriter out) throws IOException {
        awaitWrite(); // the writer's tensor accounting belongs to the writer thread until then
        out.beginTensor(tensor.name());
        Source source = source(file.path());
        if (tensor.dtype() == dtype || !tensor.dtype().isFloatingPoint()) {
            transferRaw(source, tensor, out);
            return;
        }
        long total = tensor.elementCount();
        ensureCapacity((int) Math.min(BLOCK_ELEMENTS, total), PIECE_ELEMENTS);
        for (long first = 0; first < total; first += BLOCK_ELEMENTS) {
            int n = (int) Math.min(BLOCK_ELEMENTS, total - first);
            read(source, tensor, first, n);
            int chunk = Math.max(1, (n + parts - 1) / parts);
            IntStream.range(0, parts).parallel().forEach(p -> {
                Lane lane = lanes[p];
                int end = Math.min(n, (p + 1) * chunk);
                for (int from = Math.min(n, p * chunk); from < end; from += PIECE_ELEMENTS) {
                    int count = Math.min(PIECE_ELEMENTS, end - from);
                    decode(tensor.dtype(), from, count, lane);
                    encode(dtype, from, count, lane);
                }
            });
            writeEncoded(dtype, n, out);
        }
    }

    /** Writes {@code tensor} + {@code delta} in {@code dtype}; the tensor is the [out, in] weight of the delta. */
    void merge(SafetensorsFile file, TensorInfo tensor, LoraDelta delta, DType dtype, ShardFileWriter out)
            throws IOException {
        awaitWrite(); // the writer's tensor accounting belongs to the writer thread until then
        out.beginTensor(tensor.name());
        Source source = source(file.path());
        int in = delta.inFeatures();
        int rowsPerBlock = Math.max(1, BLOCK_ELEMENTS / in);
        ensureCapacity(Math.min(rowsPerBlock, delta.outFeatures()) * in, in);
        for (int row = 0; row < delta.outFeatures(); row += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, delta.outFeatures() - row);
            int firstRow = row;
            read(source, tensor, (long) row * in, rows * in);                  // W[row : row + rows, :]
            int rowsPerPart = Math.max(1, (rows + parts - 1) / parts);
            IntStream.range(0, parts).parallel().forEach(p -> {
                Lane lane = lanes[p];
                int to = Math.min(rows, (p + 1) * rowsPerPart);
                for (int r = Math.min(rows, p * rowsPerPart); r < to; r++) {
                    decode(tensor.dtype(), r * in, in, lane);                  // values = W[firstRow + r, :] fp32
                    delta.addToRow(lane.values, firstRow + r, lane.sum);      // += scaling · B[firstRow + r] A
                    encode(dtype, r * in, in, lane);
                }
            });
            writeEncoded(dtype, rows * in, out);
        }
    }

    /** Waits until every block handed to the writer thread is written. */
    void flush() throws IOException {
        awaitWrite();
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        try {
            awaitWrite();
        } catch (IOException e) {
            first = e;
        } finally {
            writer.shutdown();
        }
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

    private void ensureCapacity(int elements, int laneLength) {
        if (raw.capacity() < elements * 8L) {
            raw = ByteBuffer.allocateDirect(elements * 8).order(ByteOrder.LITTLE_ENDIAN); // room for F64 input
            encoded = ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
            spare = ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
        }
        for (int p = 0; p < parts; p++) {
            if (lanes[p] == null || lanes[p].values.length < laneLength) {
                lanes[p] = new Lane(laneLength);
            }
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

    /**
     * lane.values[0, n) = the raw elements [first, first + n) as fp32. Bulk gets from views of {@link #raw}
     * (little-endian like the file, so a plain memory copy here) touch no buffer position, so threads can read
     * disjoint ranges of the same block at once.
     */
    private void decode(DType dtype, int first, int n, Lane lane) {
        float[] v = lane.values;
        short[] h = lane.halves;
        switch (dtype) {
            case F32 -> rawView().asFloatBuffer().get(first, v, 0, n);
            case BF16 -> {
                rawView().asShortBuffer().get(first, h, 0, n);
                for (int j = 0; j < n; j++) {
                    v[j] = Float.intBitsToFloat(h[j] << 16); // bf16 is the top half of an fp32
                }
            }
            case F16 -> {
                rawView().asShortBuffer().get(first, h, 0, n);
                for (int j = 0; j < n; j++) {
                    v[j] = HalfFloats.f16ToFloat(h[j]);
                }
            }
            case F64 -> {
                var doubles = rawView().asDoubleBuffer();
                for (int j = 0; j < n; j++) {
                    v[j] = (float) doubles.get(first + j);
                }
            }
            default -> throw new IllegalArgumentException("cannot read " + dtype.headerName() + " as floating point");
        }
    }

    /** The encoded elements [first, first + n) = lane.values[0, n) in {@code dtype}. */
    private void encode(DType dtype, int first, int n, Lane lane) {
        float[] v = lane.values;
        short[] h = lane.halves;
        switch (dtype) {
            case F32 -> encodedView().asFloatBuffer().put(first, v, 0, n);
            case BF16 -> {
                for (int j = 0; j < n; j++) {
                    h[j] = HalfFloats.floatToBf16(v[j]);
                }
                encodedView().asShortBuffer().put(first, h, 0, n);
            }
            case F16 -> {
                for (int j = 0; j < n; j++) {
                    h[j] = HalfFloats.floatToF16(v[j]);
                }
                encodedView().asShortBuffer().put(first, h, 0, n);
            }
            default -> throw new IllegalArgumentException("cannot write floating-point data as " + dtype.headerName());
        }
    }

    /** A little-endian view of all of {@link #raw}, whatever its position and limit. */
    private ByteBuffer rawView() {
        return raw.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A little-endian view of all of {@link #encoded}, whatever its position and limit. */
    private ByteBuffer encodedView() {
        return encoded.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Hands the first n encoded elements to the writer thread and switches the lanes to the spare buffer. */
    private void writeEncoded(DType dtype, int n, ShardFileWriter out) throws IOException {
        awaitWrite(); // the spare buffer is free again
        ByteBuffer block = encoded;
        block.clear().limit(n * dtype.byteSize());
        pendingWrite = writer.submit(() -> {
            out.write(block);
            return null;
        });
        encoded = spare;
        spare = block;
    }

    private void awaitWrite() throws IOException {
        Future<?> write = pendingWrite;
        if (write == null) {
            return;
        }
        pendingWrite = null;
        try {
            write.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing merged tensor data");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
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
