package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Early stopping and the best evaluation on scripted evaluation losses. */
class EvalHistoryTest {

    /** What each evaluation (every 10 steps) gave: its step, "best" when it was, "stop" when training ends there. */
    private static List<String> run(EvalHistory history, double... losses) {
        List<String> heard = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            int step = 10 * (i + 1);
            boolean best = history.record(step, losses[i]);
            heard.add(step + (best ? " best" : "") + (history.stopReason() == null ? "" : " stop"));
            if (history.stopReason() != null) {
                break;
            }
        }
        return heard;
    }

    @Test
    void stopsAfterPatienceEvaluationsWithoutAnImprovementOfMoreThanMinDelta() {
        EvalHistory history = new EvalHistory(2, 0.05, EvalHistory.State.EMPTY);
        // 1.49 beats 1.50 by less than minDelta: the new best, but it counts against the patience.
        assertEquals(List.of("10 best", "20 best", "30 best", "40 stop"), run(history, 2.0, 1.5, 1.49, 1.6, 1.2));
        assertEquals(1.49, history.bestLoss());
        assertEquals(30, history.bestStep());
        assertEquals("eval loss did not improve by more than 0.05 for 2 evaluations (best 1.4900 at step 30)",
                history.stopReason());
    }

    @Test
    void anImprovementResetsThePatience() {
        EvalHistory history = new EvalHistory(2, 0.0, EvalHistory.State.EMPTY);
        assertEquals(List.of("10 best", "20", "30 best", "40", "50 stop"), run(history, 2.0, 2.1, 1.9, 1.95, 1.9));
        assertEquals(30, history.bestStep());
    }

    @Test
    void withoutEarlyStoppingItOnlyTracksTheBest() {
        EvalHistory history = EvalHistory.withoutEarlyStopping();
        assertFalse(history.any());
        assertEquals(List.of("10 best", "20", "30", "40", "50 best"), run(history, 2.0, 2.1, 2.2, 2.3, 1.0));
        assertNull(history.stopReason());
        assertEquals(50, history.bestStep());
    }

    @Test
    void aResumedRunGoesOnCountingWhereItsCheckpointLeftOff() {
        EvalHistory before = new EvalHistory(3, 0.0, EvalHistory.State.EMPTY);
        run(before, 2.0, 2.5, 2.6);
        EvalHistory resumed = new EvalHistory(3, 0.0, before.state());
        assertTrue(resumed.any());
        assertFalse(resumed.record(40, 2.7));
        assertEquals("eval loss did not improve by more than 0.0 for 3 evaluations (best 2.0000 at step 10)",
                resumed.stopReason());
    }
}
