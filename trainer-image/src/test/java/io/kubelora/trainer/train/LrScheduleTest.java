package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubelora.api.LrScheduler;
import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void warmupRisesLinearlyFromZero() {
        LrSchedule s = LrSchedule.of(LrScheduler.COSINE, 1e-3, 0.1, 100);
        assertEquals(10, s.warmupSteps());
        assertEquals(0.0, s.at(0));
        assertEquals(5e-4, s.at(5), 1e-15);
        assertEquals(1e-3, s.at(10), 1e-15);
    }

    @Test
    void warmupStepsRoundUpAsTransformersDoes() {
        assertEquals(1, LrSchedule.of(LrScheduler.COSINE, 1, 0.03, 10).warmupSteps());
        assertEquals(0, LrSchedule.of(LrScheduler.COSINE, 1, 0.0, 10).warmupSteps());
    }

    @Test
    void cosineReachesHalfAtMidpointAndZeroAtTheEnd() {
        LrSchedule s = LrSchedule.of(LrScheduler.COSINE, 2.0, 0.0, 100);
        assertEquals(2.0, s.at(0), 1e-12);
        assertEquals(1.0, s.at(50), 1e-12);
        assertEquals(0.0, s.at(100), 1e-12);
    }

    @Test
    void linearDecaysToZero() {
        LrSchedule s = LrSchedule.of(LrScheduler.LINEAR, 1.0, 0.2, 10);
        assertEquals(1.0, s.at(2), 1e-12);
        assertEquals(0.5, s.at(6), 1e-12);
        assertEquals(0.125, s.at(9), 1e-12);
    }

    @Test
    void constantStaysAtPeakAfterWarmup() {
        LrSchedule s = LrSchedule.of(LrScheduler.CONSTANT, 3e-4, 0.5, 10);
        assertEquals(1.2e-4, s.at(2), 1e-15);
        assertEquals(3e-4, s.at(9), 1e-15);
    }
}
