package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads named tensors of a model folder as fp32 and checks their shapes against the config. Data is
 * converted on the Java side (bf16/f16 -> f32) so that no 16-bit array ever reaches DJL's dtype code.
 */
final class WeightLoader implements WeightSource {

    /** Default size of the host staging buffer; bigger tensors are uploaded in blocks of rows. */
    static final long STAGING_BYTES = 64L * 1024 * 1024;

    private final ShardedWeights weights;
    private final long stagingBytes;
    private ByteBuffer staging;

    WeightLoader(ShardedWeights weights) {
        this(weights, STAGING_BYTES);
    }

    WeightLoader(ShardedWeights weights, long stagingBytes) {
        this.weights = weights;
        this.stagingBytes = stagingBytes;
    }

    @Override
    public String origin() {
        return weights.folder().toString();
    }

    @Override
    public boolean contains(String name) {
        return weights.contains(name);
    }

    /**
     * Rows are converted into one reusable staging buffer and copied into libtorch-owned memory block by block
     * (DJL would otherwise keep aliasing the Java direct buffer, which counts against the JVM's direct-memory cap).
     */
    @Override
    public NDArray loadRows(String name, long[] expectedShape, long firstRow, long rowCount, NDManager manager) {
        TensorInfo info = checked(name, expectedShape);
        long rows = expectedShape.length == 0 ? 1 : expectedShape[0];
        if (firstRow < 0 || rowCount <= 0 || firstRow + rowCount > rows) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + rowCount) + ") of tensor '"
                    + name + "' with " + rows + " rows");
        }
        long[] shape = expectedShape.clone();
        if (shape.length > 0) {
            shape[0] = rowCount;
        }
        try {
            long rowElements = info.elementCount() / Math.max(rows, 1);
            long rowsPerChunk = Math.max(1, stagingBytes / 4 / Math.max(1, rowElements));
            if (rowsPerChunk >= rowCount) {
                try (NDArray staged = stage(info, firstRow * rowElements, rowCount * rowElements, new Shape(shape),
                        manager)) {
                    return staged.duplicate();
                }
            }
            NDArray result = manager.create(new Shape(shape), DataType.FLOAT32);
            for (long row = 0; row < rowCount; row += rowsPerChunk) {
                long n = Math.min(rowsPerChunk, rowCount - row);
                long[] partShape = shape.clone();
                partShape[0] = n;
                try (NDArray staged = stage(info, (firstRow + row) * rowElements, n * rowElements,
                        new Shape(partShape), manager)) {
                    result.set(new NDIndex("{}:{}", row, row + n), staged);
                }
            }
            return result;
        } catch (IOException e) {
            throw new ModelLoadException(origin() + ": cannot read tensor '" + name + "': "
                    + e.getMessage(), e);
        }
    }

    @Override
    public float[] loadFloats(String name, long[] expectedShape) {
        checked(name, expectedShape);
        try {
            return weights.readFloats(name);
        } catch (IOException e) {
            throw new ModelLoadException(origin() + ": cannot read tensor '" + name + "': "
                    + e.getMessage(), e);
        }
    }

    private TensorInfo checked(String name, long[] expectedShape) {
        if (!weights.contains(name)) {
            throw new ModelLoadException(origin() + ": weights have no tensor '" + name
                    + "' required by " + ModelConfig.FILE_NAME);
        }
        TensorInfo info;
        try {
            info = weights.info(name);
        } catch (IOException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelLoadException(origin() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(info.shape()) + " but " + ModelConfig.FILE_NAME + " implies "
                    + Arrays.toString(expectedShape));
        }
        if (!info.dtype().isFloatingPoint()) {
            throw new ModelLoadException(origin() + ": tensor '" + name + "' has dtype "
                    + info.dtype().headerName() + "; expected F32, BF16 or F16");
        }
        return info;
    }

    /** Converts elements [first, first + count) into the staging buffer and wraps them (no copy). */
    private NDArray stage(TensorInfo info, long first, long count, Shape shape, NDManager manager)
            throws IOException {
        int bytes = Math.toIntExact(count * 4);
        if (staging == null || staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect(bytes); // grows to the largest block, at most ~stagingBytes
        }
        ByteBuffer slice = staging.duplicate().clear().limit(bytes).slice().order(ByteOrder.nativeOrder());
        weights.file(info.name()).readFloats(info, first, slice.asFloatBuffer());
        return manager.create(slice, shape, DataType.FLOAT32);
    }
}
