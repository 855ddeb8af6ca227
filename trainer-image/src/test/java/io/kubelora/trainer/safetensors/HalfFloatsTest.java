package io.kubelora.trainer.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void everyF16ValueRoundTripsThroughF32() {
        for (int bits = 0; bits <= 0xffff; bits++) {
            float f = HalfFloats.f16ToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(f))));
                continue;
            }
            assertEquals(bits, HalfFloats.floatToF16(f) & 0xffff, "f16 bits 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void f16KnownValues() {
        assertEquals(1.0f, HalfFloats.f16ToFloat((short) 0x3c00));
        assertEquals(65504f, HalfFloats.f16ToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001));
        assertEquals(-2.0f, HalfFloats.f16ToFloat((short) 0xc000));
        assertEquals(0x2e66, HalfFloats.floatToF16(0.1f));
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f));       // rounds up to infinity
        assertEquals(0x7bff, HalfFloats.floatToF16(65519f));
        assertEquals(0x0000, HalfFloats.floatToF16(0x1p-25f));     // halfway to the smallest subnormal: even
        assertEquals(0x0001, HalfFloats.floatToF16(0x1.1p-25f));
        // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to even (1.0)
        assertEquals(0x3c00, HalfFloats.floatToF16(1f + 0x1p-11f));
        assertEquals(0x3c02, HalfFloats.floatToF16(1f + 3 * 0x1p-11f));
    }

    @Test
    void everyBf16ValueRoundTripsAndNarrowingRoundsToNearestEven() {
        for (int bits = 0; bits <= 0xffff; bits++) {
            float f = HalfFloats.bf16ToFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals(bits, HalfFloats.floatToBf16(f) & 0xffff);
            }
        }
        assertEquals(0x3f80, HalfFloats.floatToBf16(1f + 0x1p-8f));            // tie -> even
        assertEquals(0x3f82, HalfFloats.floatToBf16(1f + 3 * 0x1p-8f));        // tie -> even (up)
        assertEquals(0x3f81, HalfFloats.floatToBf16(1f + 0x1p-8f + 0x1p-20f)); // above the tie
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    }
}
