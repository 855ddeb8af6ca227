package io.kubelora.trainer.quant;

import java.util.Objects;

/** One fp32 absmax per block, kept as is (no double quantization). */
public final class Fp32Scales implements BlockScales {

    private final float[] absmax;

    /** Takes ownership of {@code absmax} (no copy: the quantizer hands over a fresh array). */
    public Fp32Scales(float[] absmax) {
        this.absmax = Objects.requireNonNull(absmax, "absmax");
    }

    @Override
    public int blockCount() {
        return absmax.length;
    }

    @Override
    public float absmax(int block) {
        return absmax[block];
    }

    @Override
    public float[] toFloatArray() {
        return absmax.clone();
    }

    @Override
    public long bytesHeld() {
        return (long) Float.BYTES * absmax.length;
    }
}
