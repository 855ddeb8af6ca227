package io.kubelora.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrainerResultTest {

    @Test
    void successLineIsParsed() {
        TrainerResult r = TrainerResult.parse("{\"adapterUri\": \"s3://b/adapter\", \"finalLoss\": 1.25, \"steps\": 900}\n");
        assertTrue(r.isSuccess());
        assertEquals("s3://b/adapter", r.adapterUri());
        assertNull(r.mergedModelUri());
        assertEquals(1.25, r.finalLoss());
        assertEquals(900L, r.steps());
    }

    @Test
    void errorTextAndBrokenJsonStayText() {
        assertEquals("CUDA out of memory", TrainerResult.parse("CUDA out of memory\n").text());
        TrainerResult broken = TrainerResult.parse("{\"adapterUri\": ");
        assertFalse(broken.isSuccess());
        assertEquals("{\"adapterUri\":", broken.text());
        assertFalse(TrainerResult.parse("{\"error\": \"x\"}").isSuccess());
        assertNull(TrainerResult.parse("  "));
        assertNull(TrainerResult.parse(null));
    }

    @Test
    void longLogsKeepTheirLast4KiB() {
        String log = "start\n" + "é".repeat(3000) + "\nFATAL: the end";
        String text = TrainerResult.parse(log).text();
        assertTrue(text.startsWith("..."));
        assertTrue(text.endsWith("FATAL: the end"));
        assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= TrainerResult.MAX_TEXT_BYTES + 3);
        assertFalse(text.contains("\uFFFD"));
    }
}
