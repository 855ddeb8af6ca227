package io.kubelora.trainer.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kubelora.trainer.parallel.RowShares.Pass;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowSharesTest {

    @Test
    void aFullMicroBatchIsOnePerDeviceBatchPerReplica() {
        assertEquals(List.of(List.of(new Pass(0, 4)), List.of(new Pass(4, 4)), List.of(new Pass(8, 4))),
                RowShares.of(12, 3, 4));
    }

    @Test
    void anUnevenLastMicroBatchIsSpreadAndMayLeaveReplicasIdle() {
        assertEquals(List.of(List.of(new Pass(0, 3)), List.of(new Pass(3, 2))), RowShares.of(5, 2, 4));
        assertEquals(List.of(List.of(new Pass(0, 1)), List.of(), List.of()), RowShares.of(1, 3, 2));
    }

    @Test
    void fewerReplicasThanTheMicroBatchWasMadeForRunMorePasses() {
        // 8 rows written by 2 replicas of batchSize 4, resumed on 1 and on 3
        assertEquals(List.of(List.of(new Pass(0, 4), new Pass(4, 4))), RowShares.of(8, 1, 4));
        assertEquals(List.of(List.of(new Pass(0, 3)), List.of(new Pass(3, 3)), List.of(new Pass(6, 2))),
                RowShares.of(8, 3, 4));
        assertEquals(List.of(List.of(new Pass(0, 2), new Pass(2, 2), new Pass(4, 1))), RowShares.of(5, 1, 2));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RowShares.of(4, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> RowShares.of(4, 2, 0));
    }
}
