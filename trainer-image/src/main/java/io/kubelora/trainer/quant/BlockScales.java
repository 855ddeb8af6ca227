package io.kubelora.trainer.quant;

/**
 * The per-block absmax scales of an {@link Nf4Tensor}: either plain fp32 values
 * ({@link Fp32Scales}, 0.5 bit per parameter) or QLoRA's double-quantized form
 * ({@link QuantizedScales}, about 0.127 bit per parameter).
 */
public sealed interface BlockScales permits Fp32Scales, QuantizedScales {

    /** Number of blocks, one scale each. */
    int blockCount();

    /** The absmax of {@code block} as the dequantizer uses it. */
    float absmax(int block);

    /** All scales as fp32, in block order. */
    float[] toFloatArray();

    /** Bytes held by the arrays behind these scales. */
    long bytesHeld();
}
