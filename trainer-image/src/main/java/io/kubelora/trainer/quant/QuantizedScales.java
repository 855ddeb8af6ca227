package io.kubelora.trainer.quant;

/**
 * QLoRA double quantization of the fp32 block absmax values: the values minus their mean are
 * quantized to 8 bits in groups of {@value #GROUP_SIZE} blocks, with one fp32 scale per group and
 * one fp32 mean for the whole tensor.
 *
 * <p>bitsandbytes quantizes the second level with its dynamic 8-bit map; this type uses a linear
 * symmetric int8 code instead: for group g with {@code s_g = max |absmax_i - mean|} the step is
 * {@code step_g = s_g / 127}, the code {@code q_i = round((absmax_i - mean) / step_g)} in
 * [-127, 127], and the decoded value {@code q_i * step_g + mean}. Bound: every decoded absmax is
 * within {@code step_g / 2 = s_g / 254} of the original (plus fp32 rounding).
 *
 * <p>Cost: 8 bits per block of 64 weights (0.125 bit/param), 32 bits per 256 blocks
 * (0.002 bit/param) and the mean: about 4.127 bits per parameter with the 4-bit codes.
 */
public final class QuantizedScales implements BlockScales {

    /** Blocks that share one second-level scale. */
    public static final int GROUP_SIZE = 256;

    private static final int CODE_MAX = 127;

    private final byte[] codes;
    private final float[] groupSteps;
    private final float mean;

    private QuantizedScales(byte[] codes, float[] groupSteps, float mean) {
        this.codes = codes;
        this.groupSteps = groupSteps;
        this.mean = mean;
    }

    /**
     * Double-quantizes {@code absmax} (finite, non-negative; not modified).
     *
     * @throws IllegalArgumentException if a value is negative, NaN or infinite
     */
    public static QuantizedScales quantize(float[] absmax) {
        double sum = 0;
        for (int i = 0; i < absmax.length; i++) {
            float a = absmax[i];
            if (!(a >= 0f) || Float.isInfinite(a)) {
                throw new IllegalArgumentException("absmax[" + i + "] = " + a + " is not a finite non-negative scale");
            }
            sum += a;
        }
        float mean = absmax.length == 0 ? 0f : (float) (sum / absmax.length);
        int groups = (absmax.length + GROUP_SIZE - 1) / GROUP_SIZE;
        byte[] codes = new byte[absmax.length];
        float[] steps = new float[groups];
        for (int g = 0; g < groups; g++) {
            int from = g * GROUP_SIZE;
            int to = Math.min(absmax.length, from + GROUP_SIZE);
            float spread = 0f;
            for (int i = from; i < to; i++) {
                spread = Math.max(spread, Math.abs(absmax[i] - mean));
            }
            float step = spread / CODE_MAX;
            steps[g] = step;
            for (int i = from; i < to; i++) {
                int q = step == 0f ? 0 : Math.round((absmax[i] - mean) / step);
                codes[i] = (byte) Math.max(-CODE_MAX, Math.min(CODE_MAX, q));
            }
        }
        return new QuantizedScales(codes, steps, mean);
    }

    @Override
    public int blockCount() {
        return codes.length;
    }

    @Override
    public float absmax(int block) {
        return codes[block] * groupSteps[block / GROUP_SIZE] + mean;
    }

    @Override
    public float[] toFloatArray() {
        float[] out = new float[codes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = absmax(i);
        }
        return out;
    }

    /** The largest decoding error this scheme allows for {@code block}: half its group's step. */
    public float errorBound(int block) {
        return groupSteps[block / GROUP_SIZE] / 2;
    }

    /** The mean subtracted before quantization. */
    public float mean() {
        return mean;
    }

    @Override
    public long bytesHeld() {
        return codes.length + (long) Float.BYTES * groupSteps.length + Float.BYTES;
    }

    /** The int8 codes, one per block (the array itself: do not modify). */
    byte[] codes() {
        return codes;
    }

    /** The step of each group of {@value #GROUP_SIZE} blocks (the array itself: do not modify). */
    float[] groupSteps() {
        return groupSteps;
    }
}
