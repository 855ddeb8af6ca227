package io.kubelora.trainer.quant;

/**
 * The 4-bit NormalFloat (NF4) data type of QLoRA (Dettmers et al. 2023), with the code values
 * of bitsandbytes' {@code get_4bit_type("nf4")}.
 *
 * <p>A weight is cut into blocks of {@value #BLOCK_SIZE} consecutive elements (row-major over the
 * whole tensor, as bitsandbytes does); each block is divided by its absolute maximum, so every
 * value falls in [-1, 1], and each value is replaced by the index of the nearest code.
 *
 * <p>Ties: a value exactly on the midpoint between two codes takes the lower code, as the
 * bitsandbytes kernel does (it tests {@code x > midpoint}).
 *
 * <p>Packing: two indices per byte, the element with the even position in the HIGH nibble and the
 * next element in the LOW nibble ({@code byte = first << 4 | second}), bitsandbytes' order.
 */
public final class Nf4 {

    /** Elements that share one absmax scale. */
    public static final int BLOCK_SIZE = 64;

    /** Packed bytes per block (two 4-bit codes per byte). */
    public static final int BYTES_PER_BLOCK = BLOCK_SIZE / 2;

    /** Index of the code 0.0; padding elements of a partial last block are encoded with it. */
    public static final int ZERO_INDEX = 7;

    private static final float[] CODEBOOK = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** MIDPOINTS[i] lies between CODEBOOK[i] and CODEBOOK[i + 1]. */
    private static final float[] MIDPOINTS = new float[CODEBOOK.length - 1];

    /**
     * Encoding is a table lookup plus one comparison: [-1, 1] is cut into buckets of width
     * 1/{@value #BUCKETS_PER_UNIT}, far narrower than the smallest gap between midpoints (0.08),
     * so a bucket holds at most one midpoint. LOWEST_INDEX[k] is the code index at the bucket's
     * lower edge (minus a margin that covers fp32 rounding of the bucket computation); a value
     * moves up one code if it lies above that code's midpoint. Gives the same index as a binary
     * search over the midpoints, several times faster.
     */
    private static final int BUCKETS_PER_UNIT = 1024;
    private static final byte[] LOWEST_INDEX = new byte[2 * BUCKETS_PER_UNIT + 1];

    static {
        for (int i = 0; i < MIDPOINTS.length; i++) {
            MIDPOINTS[i] = (float) (((double) CODEBOOK[i] + CODEBOOK[i + 1]) / 2);
        }
        for (int k = 0; k < LOWEST_INDEX.length; k++) {
            double lowerEdge = (double) k / BUCKETS_PER_UNIT - 1 - 1e-6;
            int index = 0;
            while (index < MIDPOINTS.length && lowerEdge > MIDPOINTS[index]) {
                index++;
            }
            LOWEST_INDEX[k] = (byte) index;
        }
    }

    private Nf4() {
    }

    /** The 16 code values, in index order (a copy). */
    public static float[] codebook() {
        return CODEBOOK.clone();
    }

    /** The value of code {@code index} (0..15). */
    public static float code(int index) {
        return CODEBOOK[index];
    }

    /** The largest distance between two neighbouring codes (between -1.0 and the next code). */
    public static float largestGap() {
        float gap = 0;
        for (int i = 0; i + 1 < CODEBOOK.length; i++) {
            gap = Math.max(gap, CODEBOOK[i + 1] - CODEBOOK[i]);
        }
        return gap;
    }

    /**
     * Index of the code nearest to {@code normalized} (a value in [-1, 1]; values beyond clamp to
     * the end codes); ties go to the lower code. Equals the number of midpoints strictly below the
     * value.
     */
    public static int encode(float normalized) {
        int bucket = (int) ((normalized + 1f) * BUCKETS_PER_UNIT);
        bucket = Math.max(0, Math.min(LOWEST_INDEX.length - 1, bucket));
        int index = LOWEST_INDEX[bucket];
        return index < MIDPOINTS.length && normalized > MIDPOINTS[index] ? index + 1 : index;
    }

    /**
     * Quantizes {@code count} values of {@code src} from {@code srcOffset} (at most one block) with
     * scale {@code absmax}, writing {@link #BYTES_PER_BLOCK} packed bytes at {@code dstOffset}.
     * Positions past {@code count} are padding and get {@link #ZERO_INDEX}.
     */
    static void quantizeBlock(float[] src, int srcOffset, int count, float absmax, byte[] dst, int dstOffset) {
        // A zero block keeps every value at code 0.0; otherwise scale into [-1, 1].
        float inverse = absmax == 0f ? 0f : 1f / absmax;
        for (int pair = 0; pair < BYTES_PER_BLOCK; pair++) {
            int first = 2 * pair;
            int high = first < count ? encode(src[srcOffset + first] * inverse) : ZERO_INDEX;
            int low = first + 1 < count ? encode(src[srcOffset + first + 1] * inverse) : ZERO_INDEX;
            dst[dstOffset + pair] = (byte) (high << 4 | low);
        }
    }

    /**
     * Dequantizes {@code count} values (at most one block) of the packed block at {@code srcOffset}
     * with scale {@code absmax} into {@code dst} from {@code dstOffset}.
     */
    static void dequantizeBlock(byte[] src, int srcOffset, int count, float absmax, float[] dst, int dstOffset) {
        for (int i = 0; i < count; i++) {
            int packed = src[srcOffset + i / 2] & 0xFF;
            int index = (i & 1) == 0 ? packed >>> 4 : packed & 0x0F;
            dst[dstOffset + i] = CODEBOOK[index] * absmax;
        }
    }
}
