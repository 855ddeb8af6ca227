package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Specs, statuses and progress built by name rather than by position. */
class BuildersTest {

    @Test
    void aSpecBuiltFromAnotherKeepsEveryFieldButTheChangedOnes() {
        LoraFineTuneSpec spec = LoraFineTuneSpec.of("hf://org/m", "s3://b/d.jsonl", "s3://b/out");
        assertEquals(spec, spec.toBuilder().build());
        assertEquals(new LoraFineTuneSpec(new BaseModelSpec("hf://org/m"), DatasetSpec.of("s3://b/d.jsonl"), null,
                null, null, null, null, new OutputSpec("s3://b/out"), null, null, null, null, null, null, null, null,
                null, null, null), spec);
        assertEquals(EvaluationSpec.defaults(), spec.evaluation());
        assertEquals(64, spec.evaluation().maxNewTokens());
        LoraFineTuneSpec qlora = spec.toBuilder().quantization(Quantization.NF4).image("trainer:2").build();
        assertEquals(Quantization.NF4, qlora.quantization());
        assertEquals(QuantizationConfig.defaults(), qlora.quantizationConfig());
        assertEquals("trainer:2", qlora.image());
        assertEquals(spec.training(), qlora.training());
    }

    @Test
    void aStatusHasOnlyWhatWasSet() {
        LoraFineTuneStatus status = LoraFineTuneStatus.builder().phase(Phase.Running).observedGeneration(3L).build();
        assertEquals(new LoraFineTuneStatus(Phase.Running, List.of(), 3L, null, null, null, null, null, null, null, null,
                null, null),
                status);
    }

    @Test
    void progressOfAFinishedRunAndItsTime() {
        Progress running = new Progress(120L, 900L, null, 0.4, 1.8, 2.0, 1.9, 100L, 2100.0, "1h02m", null);
        Progress done = running.finished(TrainerResult.trained("s3://b/a", null, 1.23, 900L));
        assertEquals("900/900", done.steps());
        assertEquals(1.23, done.loss());
        assertEquals(2.0, done.evalLoss());
        assertEquals(1.9, done.bestEvalLoss());
        assertEquals(100L, done.bestEvalStep());
        assertNull(done.eta());
        assertEquals(1.8, running.finished(TrainerResult.trained("s3://b/a", null, null, 900L)).loss());
        Progress evaluated = running.finished(new TrainerResult("s3://b/a", null, 1.2, 900L, 1.7, 1.5, 800L, 800L,
                null));
        assertEquals(List.of(1.7, 1.5, 800L), List.of(evaluated.evalLoss(), evaluated.bestEvalLoss(),
                evaluated.bestEvalStep()));
        assertEquals(new Progress(7L, 7L, "7/7", null, null, null, null, null, null, null, null),
                Progress.empty().finished(TrainerResult.trained("s3://b/a", null, null, 7L)));
        assertEquals("2026-01-01T00:00:00Z", running.at("2026-01-01T00:00:00Z").lastUpdateTime());
        assertEquals("120/900", running.at("2026-01-01T00:00:00Z").steps());
    }
}
