package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** memory-bench trains a named shape on random weights and puts the measured peak beside the planned one. */
class MemoryBenchTest {

    @Test
    void reportsThePlanTheMeasuredPeakAndTheStepTime() {
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new MemoryBench()).setOut(new PrintWriter(out)).execute("--shape", "smollm2-135m",
                "--batch", "1", "--seq", "32", "--rank", "4", "--modules", "q_proj,v_proj", "--steps", "1",
                "--optimizer-offload");
        assertEquals(0, exit, out.toString());
        String report = out.toString();
        assertTrue(report.contains("Memory plan for smollm2-135m (random weights), CPU run"), report);
        Matcher ratio = Pattern.compile("measured / planned (\\d+\\.\\d+)").matcher(report);
        assertTrue(ratio.find(), report);
        assertTrue(Double.parseDouble(ratio.group(1)) > 0, report);
        assertTrue(report.contains("step time"), report);
    }
}
