package io.kubelora.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TerminationMessageTest {

    @Test
    void successLineIsParsed() {
        TerminationMessage r = TerminationMessage.parse(
                "{\"adapterUri\": \"s3://b/adapter\", \"finalLoss\": 1.25, \"steps\": 900}\n");
        assertTrue(r.isSuccess());
        assertEquals("s3://b/adapter", r.result().adapterUri());
        assertNull(r.result().mergedModelUri());
        assertEquals(1.25, r.result().finalLoss());
        assertEquals(900L, r.result().steps());
    }

    @Test
    void errorTextAndBrokenJsonStayText() {
        assertEquals("CUDA out of memory", TerminationMessage.parse("CUDA out of memory\n").text());
        TerminationMessage broken = TerminationMessage.parse("{\"adapterUri\": ");
        assertFalse(broken.isSuccess());
        assertEquals("{\"adapterUri\":", broken.text());
        assertFalse(TerminationMessage.parse("{\"error\": \"x\"}").isSuccess());
        assertNull(TerminationMessage.parse("  "));
        assertNull(TerminationMessage.parse(null));
    }

    @Test
    void longLogsKeepTheirLast4KiB() {
        String log = "start\n" + "é".repeat(3000) + "\nFATAL: the end";
        String text = TerminationMessage.parse(log).text();
        assertTrue(text.startsWith("..."));
        assertTrue(text.endsWith("FATAL: the end"));
        assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= TerminationMessage.MAX_TEXT_BYTES + 3);
        assertFalse(text.contains("\uFFFD"));
    }
}
