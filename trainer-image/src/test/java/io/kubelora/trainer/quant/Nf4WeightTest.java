package io.kubelora.trainer.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Nf4WeightTest {

    private static final long DECODE_TABLE_BYTES = 256 * 2 * Float.BYTES;

    private static NDManager manager;

    @BeforeAll
    static void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    @ParameterizedTest(name = "[{0}, {1}] doubleQuant={2}")
    @CsvSource({
        "300, 128, false",  // 600 blocks
        "300, 128, true",   // 600 blocks: scale groups of 256, 256 and 88
        "7, 33, false",     // 231 elements: last block padded
        "7, 33, true",
        "1, 1, true",
    })
    void deviceDequantizationEqualsTheJavaOne(long out, long in, boolean doubleQuant) {
        float[] weight = Nf4TensorTest.gaussian((int) (out * in), out * 31 + in);
        Nf4Tensor tensor = Nf4Tensor.quantize(weight, out, in, doubleQuant);
        float[] expected = tensor.dequantize();
        try (Nf4Weight nf4 = Nf4Weight.upload(tensor, manager); NDManager scope = manager.newSubManager()) {
            NDArray materialized = nf4.materialize(scope);
            assertEquals(new Shape(out, in), materialized.getShape());
            assertEquals(DataType.FLOAT32, materialized.getDataType());
            assertEquals(manager.getDevice(), materialized.getDevice());
            assertArrayEquals(expected, materialized.toFloatArray(), 0f);
        }
    }

    @ParameterizedTest(name = "[7, 33] rows {0} to {1}, doubleQuant={2}")
    @CsvSource({
        "0, 7, false",   // all of it
        "2, 5, false",   // rows 2-4: elements 66..164, cutting blocks 1 and 2
        "6, 7, true",    // the last row, in the padded last block
        "0, 1, true",    // a row shorter than a block
    })
    void rowsAreThoseOfTheWholeWeight(long from, long to, boolean doubleQuant) {
        Nf4Tensor tensor = Nf4Tensor.quantize(Nf4TensorTest.gaussian(7 * 33, 8), 7, 33, doubleQuant);
        float[] whole = tensor.dequantize();
        try (Nf4Weight nf4 = Nf4Weight.upload(tensor, manager); NDManager scope = manager.newSubManager()) {
            NDArray rows = nf4.materializeRows(scope, from, to);
            assertEquals(new Shape(to - from, 33), rows.getShape());
            assertArrayEquals(java.util.Arrays.copyOfRange(whole, (int) from * 33, (int) to * 33), rows.toFloatArray(),
                    0f);
            assertEquals(List.of(rows), scope.getManagedArrays(), "only the rows stay in the scope");
            assertThrows(IllegalArgumentException.class, () -> nf4.materializeRows(scope, 3, 8));
        }
    }

    @Test
    void quantizeFromFloatsMatchesQuantizeThenUpload() {
        float[] weight = Nf4TensorTest.gaussian(64 * 48, 5);
        float[] expected = Nf4Tensor.quantize(weight, 64, 48, true).dequantize();
        try (Nf4Weight nf4 = Nf4Weight.quantize(weight, 64, 48, true, manager);
             NDManager scope = manager.newSubManager()) {
            assertTrue(nf4.doubleQuantized());
            assertArrayEquals(new long[] {64, 48}, nf4.shape());
            assertArrayEquals(expected, nf4.materialize(scope).toFloatArray(), 0f);
        }
    }

    @ParameterizedTest(name = "doubleQuant={0}")
    @ValueSource(booleans = {false, true})
    void materializedWeightLivesInTheScopeWithoutGradientAndLeavesNothingBehind(boolean doubleQuant) {
        try (Nf4Weight nf4 = Nf4Weight.quantize(Nf4TensorTest.gaussian(96 * 40, 9), 96, 40, doubleQuant, manager)) {
            int before = manager.getManagedArrays().size();
            NDArray materialized;
            try (NDManager scope = manager.newSubManager()) {
                materialized = nf4.materialize(scope);
                assertEquals(scope, materialized.getManager());
                assertFalse(materialized.hasGradient());
                assertEquals(List.of(materialized), scope.getManagedArrays());
            }
            assertTrue(materialized.isReleased());
            assertEquals(before, manager.getManagedArrays().size());
        }
    }

    @ParameterizedTest(name = "doubleQuant={0}")
    @ValueSource(booleans = {false, true})
    void weightMadeInsideAnNdScopeSurvivesTheScope(boolean doubleQuant) {
        float[] values = Nf4TensorTest.gaussian(64 * 8, 4);
        Nf4Weight nf4;
        try (NDScope loading = new NDScope()) {
            nf4 = Nf4Weight.quantize(values, 64, 8, doubleQuant, manager);
        }
        try (nf4; NDManager scope = manager.newSubManager()) {
            float[] expected = Nf4Tensor.quantize(values, 64, 8, doubleQuant).dequantize();
            assertArrayEquals(expected, nf4.materialize(scope).toFloatArray(), 0f);
        }
    }

    @Test
    void bytesHeldCountsTheDeviceArrays() {
        Nf4Tensor plain = Nf4Tensor.quantize(Nf4TensorTest.gaussian(128 * 64, 2), 128, 64, false);
        Nf4Tensor doubleQuant = Nf4Tensor.quantize(Nf4TensorTest.gaussian(128 * 64, 2), 128, 64, true);
        try (Nf4Weight a = Nf4Weight.upload(plain, manager); Nf4Weight b = Nf4Weight.upload(doubleQuant, manager)) {
            assertEquals(128 * 64 / 2 + 4 * 128 + DECODE_TABLE_BYTES, a.bytesHeld());
            assertEquals(plain.bytesHeld() + DECODE_TABLE_BYTES, a.bytesHeld());
            assertEquals(128 * 64 / 2 + 128 + 4 + 4 + DECODE_TABLE_BYTES, b.bytesHeld());
            assertEquals(doubleQuant.bytesHeld() + DECODE_TABLE_BYTES, b.bytesHeld());
        }
    }

    @ParameterizedTest(name = "[{0}, {1}] doubleQuant={2}")
    @CsvSource({"128, 64, false", "128, 64, true", "300, 128, true", "7, 33, true", "7, 33, false", "1, 1, true"})
    void bytesForAShapeAreThoseTheWeightHolds(long out, long in, boolean doubleQuant) {
        try (Nf4Weight nf4 = Nf4Weight.quantize(Nf4TensorTest.gaussian((int) (out * in), 3), out, in, doubleQuant,
                manager)) {
            assertEquals(nf4.bytesHeld(), Nf4Weight.bytesFor(out, in, doubleQuant));
        }
    }

    @Test
    void closedWeightRefusesToMaterialize() {
        Nf4Weight nf4 = Nf4Weight.quantize(new float[64], 1, 64, false, manager);
        nf4.close();
        try (NDManager scope = manager.newSubManager()) {
            assertThrows(IllegalStateException.class, () -> nf4.materialize(scope));
        }
    }
}
