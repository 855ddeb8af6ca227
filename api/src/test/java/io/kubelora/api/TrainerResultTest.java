package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The termination-message contract: what the trainer writes is what the operator reads. */
class TrainerResultTest {

    @Test
    void roundTripsWithAndWithoutMergedModel() {
        TrainerResult merged = TrainerResult.trained("s3://b/run/adapter", "hf://org/merged", 1.8125, 900L);
        assertEquals(Optional.of(merged), TrainerResult.fromJson(merged.toJson()));
        TrainerResult adapterOnly = TrainerResult.trained("pvc://runs/x/adapter", null, 2.5, 40L);
        assertEquals(Optional.of(adapterOnly), TrainerResult.fromJson(adapterOnly.toJson() + "\n"));
    }

    @Test
    void wireFormatIsOneJsonLineWithTheDocumentedFields() {
        assertEquals("{\"adapterUri\":\"s3://b/adapter\",\"finalLoss\":1.25,\"steps\":900}",
                TrainerResult.trained("s3://b/adapter", null, 1.25, 900L).toJson());
        assertEquals(Optional.of(TrainerResult.trained("s3://b/adapter", null, 1.25, 900L)), TrainerResult.fromJson(
                "{\"adapterUri\": \"s3://b/adapter\", \"finalLoss\": 1.25, \"steps\": 900, \"extra\": true}"));
    }

    @Test
    void evaluationAndEarlyStoppingTravelAndReadAsOneSentence() {
        TrainerResult best = new TrainerResult("s3://b/adapter", null, 0.9, 60L, 1.3, 1.1, 40L, 40L,
                "eval loss did not improve by more than 0.01 for 2 evaluations");
        assertEquals(Optional.of(best), TrainerResult.fromJson(best.toJson()));
        assertEquals("training finished; adapter at s3://b/adapter (the best evaluation, step 40 of 60); best eval "
                + "loss 1.1000 at step 40; stopped early: eval loss did not improve by more than 0.01 for 2 "
                + "evaluations", best.describe());
        assertEquals("training finished; adapter at s3://b/adapter",
                TrainerResult.trained("s3://b/adapter", null, 1.25, 900L).describe());
    }

    @Test
    void anythingElseIsNoResult() {
        assertTrue(TrainerResult.fromJson("CUDA out of memory").isEmpty());
        assertTrue(TrainerResult.fromJson("{\"adapterUri\": ").isEmpty());
        assertTrue(TrainerResult.fromJson("{\"error\": \"x\"}").isEmpty());
        assertTrue(TrainerResult.fromJson("[1]").isEmpty());
        assertTrue(TrainerResult.fromJson(null).isEmpty());
    }
}
