package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The quantity grammar of the API server (resource.ParseQuantity): what kubectl accepts for memory and cpu. */
class QuantitySyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"32Gi", "500m", "4", "1.5", "+1", ".5", "5.", "1e3", "1E-3", "100n", "2u", "3k", "1Ei",
        "-1Gi", "0"})
    void quantities(String text) {
        assertTrue(QuantitySyntax.isQuantity(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "5 Gi", "5GB", "Gi", "", "1.2.3", "1e", "--1", "1K", "1gi", "1.5e3.2", " 4"})
    void notQuantities(String text) {
        assertFalse(QuantitySyntax.isQuantity(text), text);
    }

    @ParameterizedTest
    @CsvSource({"32Gi, 1", "-1Gi, -1", "0, 0", "0.0Mi, 0", "1m, 1", ".5, 1", "-.5e3, -1", "+0, 0"})
    void sign(String text, int sign) {
        assertEquals(sign, QuantitySyntax.sign(text));
    }
}
