package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The termination-message contract: what the trainer writes is what the operator reads. */
class TrainerResultTest {

    @Test
    void roundTripsWithAndWithoutMergedModel() {
        TrainerResult merged = new TrainerResult("s3://b/run/adapter", "hf://org/merged", 1.8125, 900L);
        assertEquals(Optional.of(merged), TrainerResult.fromJson(merged.toJson()));
        TrainerResult adapterOnly = new TrainerResult("pvc://runs/x/adapter", null, 2.5, 40L);
        assertEquals(Optional.of(adapterOnly), TrainerResult.fromJson(adapterOnly.toJson() + "\n"));
    }

    @Test
    void wireFormatIsOneJsonLineWithTheDocumentedFields() {
        assertEquals("{\"adapterUri\":\"s3://b/adapter\",\"finalLoss\":1.25,\"steps\":900}",
                new TrainerResult("s3://b/adapter", null, 1.25, 900L).toJson());
        assertEquals(Optional.of(new TrainerResult("s3://b/adapter", null, 1.25, 900L)), TrainerResult.fromJson(
                "{\"adapterUri\": \"s3://b/adapter\", \"finalLoss\": 1.25, \"steps\": 900, \"extra\": true}"));
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
