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

    private final long out;
    private final long in;
    private final int count;             // out * in
    private final int blocks;            // ceil(count / 64)
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
        this.count = tensor.elementCount();
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
        if (closed) {
            throw new IllegalStateException("NF4 weight [" + out + ", " + in + "] is closed");
        }
        NDArray normalized;
        // An embedding lookup (index_select) is the fastest gather here: on CPU advanced indexing
        // was 3-5x slower. It takes int32 indices as they are (half the traffic of int64). The
        // index lives in the scope, so the lookup result lands there too.
        NDArray index = packed.toType(DataType.INT32, false);                         // [blocks * 32]
        index.attach(scope);
        try (index) {
            normalized = index.getNDArrayInternal()
                    .embedding(index, decodeTable, SparseFormat.DENSE)
                    .singletonOrThrow();                                             // [blocks * 32, 2]
        }
        NDArray weight;
        try (normalized;
             NDArray decodedAbsmax = absmax == null ? decodeAbsmax() : null;         // [blocks, 1]
             NDArray byBlock = normalized.reshape(blocks, Nf4.BLOCK_SIZE)) {         // [blocks, 64] view
            byBlock.muli(absmax != null ? absmax : decodedAbsmax);
            weight = count == blocks * Nf4.BLOCK_SIZE
                    ? byBlock.reshape(out, in)                                        // [out, in] view
                    : withoutPadding(byBlock, scope);
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

    /** The double-quantized block absmax decoded, [blocks, 1] f32; the caller closes it. */
    private NDArray decodeAbsmax() {
        try (NDArray steps = groupSteps.repeat(0, QuantizedScales.GROUP_SIZE);        // [groups * 256]
             NDArray blockSteps = steps.get(new NDIndex("0:{}", blocks));              // [blocks]
             NDArray decoded = absmaxCodes.toType(DataType.FLOAT32, false)) {          // [blocks]
            decoded.muli(blockSteps).addi(absmaxMean);                                 // q * step + mean
            return decoded.reshape(blocks, 1);
        }
    }

    /** Drops the padding of a partial last block: [blocks, 64] -> [out, in]. */
    private NDArray withoutPadding(NDArray byBlock, NDManager scope) {
        try (NDArray flat = byBlock.reshape(-1);                                      // [blocks * 64]
             NDArray real = flat.get(scope, new NDIndex("0:{}", count))) {            // [out * in]
            return real.reshape(out, in);
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
