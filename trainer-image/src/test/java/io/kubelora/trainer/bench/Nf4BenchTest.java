package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class Nf4BenchTest {

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine command = new CommandLine(new Nf4Bench());
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        return command.execute(args);
    }

    @Test
    void printsBytesAndBitsHeldForBothScaleForms() {
        StringWriter out = new StringWriter();
        int exit = run(out, new StringWriter(), "--out", "64", "--in", "128", "--iterations", "2", "--warmup", "0");
        assertEquals(0, exit, out.toString());
        String table = out.toString();
        // 8192 params: 4096 code bytes + 2048 table bytes, plus 128 fp32 scales (512 bytes) ...
        assertTrue(table.matches("(?s).*fp32 absmax\\s+6,656\\s+6\\.500 .*"), table);
        // ... or 128 int8 codes + one group step + the mean (136 bytes).
        assertTrue(table.matches("(?s).*double-quant\\s+6,280\\s+6\\.133 .*"), table);
    }

    @Test
    void rejectsAnEmptyShape() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(new StringWriter(), err, "--out", "0"));
        assertTrue(err.toString().contains("--out and --in must be positive"), err.toString());
    }
}
