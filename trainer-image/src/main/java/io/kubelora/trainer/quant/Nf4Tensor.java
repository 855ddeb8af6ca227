package io.kubelora.trainer.quant;

import java.util.Objects;
import java.util.stream.IntStream;

/**
 * A weight matrix [out, in] quantized to NF4 on the host: packed 4-bit codes plus one scale per
 * block of {@value Nf4#BLOCK_SIZE} elements (see {@link Nf4} for the code and nibble order).
 *
 * <p>Blocks run over the row-major flattening of the whole matrix, so {@code in} need not be a
 * multiple of the block size. When {@code out * in} is not a multiple of it, the last block is
 * padded with the code of 0.0 and its absmax covers only the real elements; the padding is
 * dropped on dequantization.
 */
public final class Nf4Tensor {

    /** Blocks encoded by one parallel task (256K elements). */
    private static final int BLOCKS_PER_TASK = 4096;

    private final long out;
    private final long in;
    private final byte[] packed;       // [blocks * 32], two codes per byte, first in the high nibble
    private final BlockScales scales;  // [blocks]

    private Nf4Tensor(long out, long in, byte[] packed, BlockScales scales) {
        this.out = out;
        this.in = in;
        this.packed = packed;
        this.scales = scales;
    }

    /**
     * Quantizes a row-major [out, in] weight. Holds nothing beyond the input and the result.
     *
     * @param weight      out*in values, row-major; not modified
     * @param doubleQuant quantize the block scales too ({@link QuantizedScales}) instead of
     *                    keeping them as fp32 ({@link Fp32Scales})
     * @throws IllegalArgumentException if the shape does not match the array, or an element is NaN or
     *                                  infinite (the message names its [row, column])
     */
    public static Nf4Tensor quantize(float[] weight, long out, long in, boolean doubleQuant) {
        Objects.requireNonNull(weight, "weight");
        int count = checkedCount(out, in);
        if (weight.length != count) {
            throw new IllegalArgumentException(
                    "weight has " + weight.length + " elements but shape [" + out + ", " + in + "] needs " + count);
        }
        int blocks = blockCount(count);
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * Nf4.BLOCK_SIZE;
            float max = 0f;
            for (int i = from; i < Math.min(count, from + Nf4.BLOCK_SIZE); i++) {
                float v = weight[i];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(
                            "weight element [" + i / in + ", " + i % in + "] is " + v + "; NF4 needs finite values");
                }
                max = Math.max(max, Math.abs(v));
            }
            absmax[b] = max;
        }
        // Encoding dominates the cost; chunks of blocks are independent, so spread them over cores.
        byte[] packed = new byte[blocks * Nf4.BYTES_PER_BLOCK];
        int chunks = (blocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            for (int b = chunk * BLOCKS_PER_TASK; b < Math.min(blocks, (chunk + 1) * BLOCKS_PER_TASK); b++) {
                int from = b * Nf4.BLOCK_SIZE;
                int size = Math.min(Nf4.BLOCK_SIZE, count - from);
                Nf4.quantizeBlock(weight, from, size, absmax[b], packed, b * Nf4.BYTES_PER_BLOCK);
            }
        });
        BlockScales scales = doubleQuant ? QuantizedScales.quantize(absmax) : new Fp32Scales(absmax);
        return new Nf4Tensor(out, in, packed, scales);
    }

    /** The row-major [out, in] weight this tensor stands for, as fp32. */
    public float[] dequantize() {
        int count = elementCount();
        float[] result = new float[count];
        for (int b = 0; b < scales.blockCount(); b++) {
            int from = b * Nf4.BLOCK_SIZE;
            int size = Math.min(Nf4.BLOCK_SIZE, count - from);
            Nf4.dequantizeBlock(packed, b * Nf4.BYTES_PER_BLOCK, size, scales.absmax(b), result, from);
        }
        return result;
    }

    /** {out, in}. */
    public long[] shape() {
        return new long[] {out, in};
    }

    /** out * in. */
    public int elementCount() {
        return (int) (out * in);
    }

    /** Bytes held by the packed codes and the scales. */
    public long bytesHeld() {
        return packed.length + scales.bytesHeld();
    }

    /** Bits held per weight element. */
    public double bitsPerParameter() {
        return 8.0 * bytesHeld() / elementCount();
    }

    /** The block scales. */
    public BlockScales scales() {
        return scales;
    }

    /** The packed codes (the array itself: do not modify), [blocks * 32]. */
    byte[] packed() {
        return packed;
    }

    /** Number of blocks for {@code count} elements, a partial last block included. */
    static int blockCount(int count) {
        return (count + Nf4.BLOCK_SIZE - 1) / Nf4.BLOCK_SIZE;
    }

    private static int checkedCount(long out, long in) {
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException("weight shape [" + out + ", " + in + "] must be positive");
        }
        if (out > Integer.MAX_VALUE || in > Integer.MAX_VALUE || out * in > Integer.MAX_VALUE - Nf4.BLOCK_SIZE) {
            throw new IllegalArgumentException(
                    "weight shape [" + out + ", " + in + "] holds more elements than one Java array can");
        }
        return (int) (out * in);
    }
}
