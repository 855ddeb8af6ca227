package io.kubelora.trainer.safetensors;

/**
 * Conversions between fp32 and the 16-bit float formats, with round-to-nearest-even in the narrowing
 * direction. bf16 is the top half of an fp32; f16 is IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa
 * bits). Written here because {@code Float.float16ToFloat} only exists from JDK 20.
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: keep sign and payload top, force quiet
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal (or zero): exact in fp32
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // inf or NaN
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x0200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) { // >= 65520 rounds past the largest half (65504)
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below 2^-14: a half subnormal, in units of 2^-24
            int exponent = abs >>> 23;
            if (exponent < 102) { // below 2^-25: rounds to zero
                return (short) sign;
            }
            int significand = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exponent;
            int quotient = significand >>> shift;
            int remainder = significand & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (remainder > half || (remainder == half && (quotient & 1) == 1)) {
                quotient++;
            }
            return (short) (sign | quotient);
        }
        int rounded = abs + 0xfff + ((abs >>> 13) & 1) - (112 << 23); // rebias exponent 127 -> 15
        return (short) (sign | (rounded >>> 13));
    }
}
