package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardSizeTest {

    @Test
    void decimalUnitsArePowersOfTenAndBinaryUnitsPowersOfTwo() {
        assertEquals(5_000_000_000L, ShardSize.parse("f", "5GB"));
        assertEquals(500_000_000L, ShardSize.parse("f", "500MB"));
        assertEquals(2L << 30, ShardSize.parse("f", "2GiB"));
        assertEquals(3L << 20, ShardSize.parse("f", "3MiB"));
        assertEquals(7_000L, ShardSize.parse("f", "7KB"));
        assertEquals(1L << 40, ShardSize.parse("f", "1TiB"));
        assertEquals(123L, ShardSize.parse("f", "123"));
        assertEquals(123L, ShardSize.parse("f", "123B"));
    }

    @Test
    void badSizesAreRefusedNamingTheField() {
        for (String bad : new String[] {"", "GB", "5 gigabytes", "5Gb", "-1GB", "1.5GB", "0", "99999999999TB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ShardSize.parse("spec.merge.maxShardSize", bad), bad);
            assertTrue(e.getMessage().startsWith("spec.merge.maxShardSize"), e.getMessage());
        }
    }
}
