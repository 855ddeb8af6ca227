package io.kubelora.trainer.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A frozen QLoRA base weight [out, in] held on the device in NF4: the packed 4-bit codes as a
 * uint8 array and the block scales (fp32, or double-quantized int8 + per-group fp32 + mean).
 *
 * <p>{@link #materialize} dequantizes on the device with tensor ops only (DJL has no bitwise ops):
 * the packed bytes, widened to int32, look up a 256-row decode table whose row {@code b} holds the
 * two code values {@code [code[b >> 4], code[b & 15]]} (high nibble first, see {@link Nf4}), which
 * yields the [blocks, 64] normalized values in one gather; one in-place broadcast multiply by the
 * block absmax finishes it. Transient device memory: the int32 index (2 bytes per element) beside
 * the fp32 result. The table (2 KiB) is counted in {@link #bytesHeld()}.
 *
 * <p>Not thread-safe to close while another thread materializes.
 */
public final class Nf4Weight implements AutoCloseable {

    private static final int BYTE_VALUES = 256;
    /** The decode table every weight keeps on the device: 256 rows of two fp32 code values. */
    public static final long DECODE_TABLE_BYTES = BYTE_VALUES * 2L * Float.BYTES;

    private final long out;
    private final long in;
    private final int blocks;            // ceil(out * in / 64)
    private final NDManager arrays;      // owns every array below
    private final NDArray packed;        // [blocks * 32] uint8
    private final NDArray decodeTable;   // [256, 2] f32
    private final NDArray absmax;        // [blocks, 1] f32, or null when double-quantized
    private final NDArray absmaxCodes;   // [blocks] int8, or null
    private final NDArray groupSteps;    // [ceil(blocks / 256)] f32, or null
    private final NDArray absmaxMean;    // [1] f32, or null
    private volatile boolean closed;

    private Nf4Weight(Nf4Tensor tensor, NDManager manager) {
        long[] shape = tensor.shape();
        this.out = shape[0];
        this.in = shape[1];
        this.blocks = tensor.scales().blockCount();
        this.arrays = manager.newSubManager();
        try {
            byte[] codes = tensor.packed();
            this.packed = arrays.create(ByteBuffer.wrap(codes), new Shape(codes.length), DataType.UINT8);
            this.decodeTable = arrays.create(decodeTableValues(), new Shape(BYTE_VALUES, 2));
            if (tensor.scales() instanceof QuantizedScales quantized) {
                this.absmax = null;
                this.absmaxCodes = arrays.create(
                        ByteBuffer.wrap(quantized.codes()), new Shape(blocks), DataType.INT8);
                this.groupSteps = arrays.create(quantized.groupSteps());
                this.absmaxMean = arrays.create(new float[] {quantized.mean()});
            } else {
                this.absmax = arrays.create(tensor.scales().toFloatArray(), new Shape(blocks, 1));
                this.absmaxCodes = null;
                this.groupSteps = null;
                this.absmaxMean = null;
            }
            // The arrays outlive any NDScope the caller has open (a loader may run inside one).
            for (NDArray kept : keptArrays()) {
                NDScope.unregister(kept);
            }
        } catch (RuntimeException e) {
            arrays.close();
            throw e;
        }
    }

    /**
     * Quantizes a row-major [out, in] fp32 weight to NF4 and moves it to {@code manager}'s device.
     * The caller may drop {@code weightRowMajor} afterwards; only the quantized form is kept.
     *
     * @throws IllegalArgumentException on a shape mismatch or a NaN/infinite element
     */
    public static Nf4Weight quantize(float[] weightRowMajor, long out, long in, boolean doubleQuant, NDManager manager) {
        return upload(Nf4Tensor.quantize(weightRowMajor, out, in, doubleQuant), manager);
    }

    /** Moves an already quantized tensor to {@code manager}'s device; arrays live in a sub-manager of it. */
    public static Nf4Weight upload(Nf4Tensor tensor, NDManager manager) {
        return new Nf4Weight(Objects.requireNonNull(tensor, "tensor"), Objects.requireNonNull(manager, "manager"));
    }

    /**
     * The dequantized [out, in] weight as fp32, in {@code scope} (closed with it), on this weight's
     * device, without gradient. Every temporary is released before returning.
     */
    public NDArray materialize(NDManager scope) {
        return materializeRows(scope, 0, out);
    }

    /**
     * Rows [fromRow, toRow) of the dequantized weight, fp32 [toRow - fromRow, in], in {@code scope}, decoding only
     * the blocks that hold them: a caller can build a weight in another precision a block of rows at a time,
     * never holding all of it in fp32.
     */
    public NDArray materializeRows(NDManager scope, long fromRow, long toRow) {
        if (closed) {
            throw new IllegalStateException("NF4 weight [" + out + ", " + in + "] is closed");
        }
        if (fromRow < 0 || fromRow >= toRow || toRow > out) {
            throw new IllegalArgumentException("rows [" + fromRow + ", " + toRow + ") of an NF4 weight with " + out
                    + " rows");
        }
        long first = fromRow * in;                                                    // element range [first, end)
        long end = toRow * in;
        int firstBlock = (int) (first / Nf4.BLOCK_SIZE);
        int endBlock = (int) ((end + Nf4.BLOCK_SIZE - 1) / Nf4.BLOCK_SIZE);
        NDArray normalized;
        // An embedding lookup (index_select) is the fastest gather here: on CPU advanced indexing
        // was 3-5x slower. It takes int32 indices as they are (half the traffic of int64). The
        // index lives in the scope, so the lookup result lands there too.
        try (NDArray codes = packed.get(new NDIndex("{}:{}", (long) firstBlock * Nf4.BYTES_PER_BLOCK,
                (long) endBlock * Nf4.BYTES_PER_BLOCK))) {                            // [blocks' * 32]
            NDArray index = codes.toType(DataType.INT32, false);
            index.attach(scope);
            try (index) {
                normalized = index.getNDArrayInternal()
                        .embedding(index, decodeTable, SparseFormat.DENSE)
                        .singletonOrThrow();                                         // [blocks' * 32, 2]
            }
        }
        NDArray weight;
        try (normalized;
             NDArray scales = blockScales(firstBlock, endBlock);                     // [blocks', 1]
             NDArray byBlock = normalized.reshape(endBlock - firstBlock, Nf4.BLOCK_SIZE)) {
            byBlock.muli(scales);
            long skip = first - (long) firstBlock * Nf4.BLOCK_SIZE;
            if (skip == 0 && end == (long) endBlock * Nf4.BLOCK_SIZE) {
                weight = byBlock.reshape(toRow - fromRow, in);                         // a view
            } else {
                try (NDArray part = elements(byBlock, skip, end - first, scope)) {
                    weight = part.reshape(toRow - fromRow, in);
                }
            }
        }
        weight.attach(scope);
        return weight;
    }

    /** {out, in}. */
    public long[] shape() {
        return new long[] {out, in};
    }

    /** Bytes of every device array this weight keeps: codes, scales and the decode table. */
    public long bytesHeld() {
        long bytes = 0;
        for (NDArray kept : keptArrays()) {
            bytes += kept.size() * kept.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /**
     * The bytes {@link #bytesHeld()} reports for a weight [out, in], without making it: packed codes (two per
     * byte, the last block padded), the block scales (fp32, or int8 codes with one fp32 step per 256 blocks and
     * the fp32 mean) and the decode table.
     */
    public static long bytesFor(long out, long in, boolean doubleQuant) {
        long blocks = (out * in + Nf4.BLOCK_SIZE - 1) / Nf4.BLOCK_SIZE;
        long scales = doubleQuant
                ? blocks + Float.BYTES * ((blocks + QuantizedScales.GROUP_SIZE - 1) / QuantizedScales.GROUP_SIZE)
                        + Float.BYTES
                : Float.BYTES * blocks;
        return blocks * Nf4.BYTES_PER_BLOCK + scales + DECODE_TABLE_BYTES;
    }

    /** Whether the block scales are double-quantized. */
    public boolean doubleQuantized() {
        return absmax == null;
    }

    /** Releases the device arrays. */
    @Override
    public void close() {
        closed = true;
        arrays.close();
    }

    /** The absmax of blocks [from, to), [to - from, 1] f32; the caller closes it. */
    private NDArray blockScales(int from, int to) {
        if (absmax != null) {
            return absmax.get(new NDIndex("{}:{}", from, to));                       // a view
        }
        try (NDArray steps = groupSteps.repeat(0, QuantizedScales.GROUP_SIZE);        // [groups * 256]
             NDArray blockSteps = steps.get(new NDIndex("{}:{}", from, to));          // [n]
             NDArray codes = absmaxCodes.get(new NDIndex("{}:{}", from, to));
             NDArray decoded = codes.toType(DataType.FLOAT32, false)) {               // [n]
            decoded.muli(blockSteps).addi(absmaxMean);                                 // q * step + mean
            return decoded.reshape(to - from, 1);
        }
    }

    /** Elements [skip, skip + length) of decoded blocks [n, 64], flat. */
    private static NDArray elements(NDArray byBlock, long skip, long length, NDManager scope) {
        try (NDArray flat = byBlock.reshape(-1)) {                                    // [n * 64]
            return flat.get(scope, new NDIndex("{}:{}", skip, skip + length));
        }
    }

    /** The device arrays this weight holds between calls. */
    private List<NDArray> keptArrays() {
        return Stream.of(packed, decodeTable, absmax, absmaxCodes, groupSteps, absmaxMean)
                .filter(Objects::nonNull)
                .toList();
    }

    /** Row b = the code values of the high and the low nibble of byte b. */
    private static float[] decodeTableValues() {
        float[] table = new float[BYTE_VALUES * 2];
        for (int b = 0; b < BYTE_VALUES; b++) {
            table[2 * b] = Nf4.code(b >>> 4);
            table[2 * b + 1] = Nf4.code(b & 0x0F);
        }
        return table;
    }
}
