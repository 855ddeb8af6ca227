package io.kubelora.trainer.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4Test {

    /** bitsandbytes get_4bit_type("nf4"), as published. */
    private static final double[] PUBLISHED = {
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    };

    @Test
    void codebookIsThePublishedValuesExactly() {
        float[] codebook = Nf4.codebook();
        assertEquals(16, codebook.length);
        for (int i = 0; i < 16; i++) {
            // Widening to double must give the published decimal back: the values are exact fp32.
            assertEquals(PUBLISHED[i], (double) codebook[i], 0.0, "code " + i);
        }
    }

    @Test
    void everyCodeValueEncodesToItsOwnIndex() {
        for (int i = 0; i < 16; i++) {
            assertEquals(i, Nf4.encode(Nf4.code(i)), "code " + i);
        }
    }

    @Test
    void codeValuesWithAbsmaxOneRoundTripExactly() {
        float[] block = new float[Nf4.BLOCK_SIZE];
        for (int i = 0; i < block.length; i++) {
            block[i] = Nf4.code((i * 7) % 16);  // all 16 codes, ±1 included, so absmax is 1
        }
        Nf4Tensor tensor = Nf4Tensor.quantize(block, 1, Nf4.BLOCK_SIZE, false);
        assertEquals(1f, tensor.scales().absmax(0));
        assertArrayEquals(block, tensor.dequantize(), 0f);
    }

    @Test
    void valueOnAMidpointTakesTheLowerCode() {
        for (int i = 0; i + 1 < 16; i++) {
            float midpoint = (float) (((double) Nf4.code(i) + Nf4.code(i + 1)) / 2);
            assertEquals(i, Nf4.encode(midpoint), "midpoint " + i);
            assertEquals(i + 1, Nf4.encode(Math.nextUp(midpoint)), "just above midpoint " + i);
        }
        assertEquals(0, Nf4.encode(-1.5f));
        assertEquals(15, Nf4.encode(1.5f));
    }

    /** Reference encoder: the number of midpoints of the published codes strictly below x. */
    private static int midpointsBelow(float x) {
        int count = 0;
        for (int i = 0; i + 1 < PUBLISHED.length; i++) {
            if (x > (float) ((PUBLISHED[i] + PUBLISHED[i + 1]) / 2)) {
                count++;
            }
        }
        return count;
    }

    @Test
    void encodeAgreesWithTheMidpointRuleEverywhere() {
        for (int i = 0; i + 1 < PUBLISHED.length; i++) {
            float midpoint = (float) ((PUBLISHED[i] + PUBLISHED[i + 1]) / 2);
            float x = midpoint;
            for (int step = 0; step < 40; step++) {
                x = Math.nextDown(x);
            }
            for (int step = 0; step < 80; step++, x = Math.nextUp(x)) {
                float at = x;
                assertEquals(midpointsBelow(x), Nf4.encode(x), () -> "x = " + at);
            }
        }
        for (int k = -20; k <= 2068; k++) {  // around every lookup bucket edge, and beyond [-1, 1]
            float edge = k / 1024f - 1f;
            for (float x : new float[] {Math.nextDown(edge), edge, Math.nextUp(edge)}) {
                float at = x;
                assertEquals(midpointsBelow(x), Nf4.encode(x), () -> "x = " + at);
            }
        }
        Random random = new Random(5);
        for (int n = 0; n < 200_000; n++) {
            float x = random.nextFloat() * 2.2f - 1.1f;
            assertEquals(midpointsBelow(x), Nf4.encode(x), () -> "x = " + x);
        }
    }

    @Test
    void handMadeBlockDecodesHighNibbleFirst() {
        byte[] packed = new byte[Nf4.BYTES_PER_BLOCK];
        packed[0] = (byte) 0x0F;  // elements 0, 1: code 0 (-1.0), code 15 (1.0)
        packed[1] = (byte) 0x78;  // elements 2, 3: code 7 (0.0), code 8
        packed[2] = (byte) 0xC3;  // elements 4, 5: code 12, code 3
        float[] decoded = new float[6];
        Nf4.dequantizeBlock(packed, 0, 6, 2f, decoded, 0);
        float[] expected = {
            -2f, 2f, 0f, 2f * 0.07958029955625534f, 2f * 0.44070982933044434f, 2f * -0.39491748809814453f,
        };
        assertArrayEquals(expected, decoded, 0f);
    }

    @Test
    void quantizePacksFirstElementIntoHighNibble() {
        float[] values = new float[Nf4.BLOCK_SIZE];
        values[0] = Nf4.code(3) * 0.5f;
        values[1] = Nf4.code(12) * 0.5f;
        values[2] = -0.5f;  // sets absmax 0.5 -> code 0
        values[3] = 0.5f;   // code 15
        byte[] packed = new byte[Nf4.BYTES_PER_BLOCK];
        Nf4.quantizeBlock(values, 0, values.length, 0.5f, packed, 0);
        assertEquals((byte) 0x3C, packed[0]);
        assertEquals((byte) 0x0F, packed[1]);
        assertEquals((byte) 0x77, packed[2]);  // zeros -> code 7 in both nibbles
    }

    @Test
    void paddingPositionsGetTheZeroCode() {
        float[] values = {0.25f, -0.25f, 0.25f};
        byte[] packed = new byte[Nf4.BYTES_PER_BLOCK];
        Nf4.quantizeBlock(values, 0, values.length, 0.25f, packed, 0);
        assertEquals((byte) 0xF0, packed[0]);
        assertEquals((byte) 0xF7, packed[1]);  // element 3 is padding
        for (int i = 2; i < packed.length; i++) {
            assertEquals((byte) 0x77, packed[i], "byte " + i);
        }
    }

    @Test
    void largestGapIsBetweenMinusOneAndTheNextCode() {
        assertEquals(1f - 0.6961928009986877f, Nf4.largestGap(), 1e-7f);
    }
}
