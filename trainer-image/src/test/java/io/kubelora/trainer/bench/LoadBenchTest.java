package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** load-bench loads a model fp32 or NF4 and reports its file size, memory figures and the bytes it holds. */
class LoadBenchTest {

    @Test
    void reportsTheFileSizeAndFewerBytesHeldWithNf4(@TempDir Path dir) throws Exception {
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, 512, 3, dir);
        String fp32 = run("--model", dir.toString());
        String nf4 = run("--model", dir.toString(), "--nf4");
        assertTrue(fp32.contains("loaded as fp32"), fp32);
        assertTrue(nf4.contains("loaded as nf4 (double quant)"), nf4);
        double fileMib = Files.size(dir.resolve("model.safetensors")) / (1024.0 * 1024.0);
        assertEquals(fileMib, mib(fp32, "weight files"), 0.05);
        // Only the decoder linears shrink: embeddings and norms stay fp32.
        assertTrue(mib(nf4, "base weight bytes held") < mib(fp32, "base weight bytes held"), fp32 + nf4);
        // Linux reports VmHWM as the larger of the recorded high-water mark and the current RSS, and records the mark
        // only now and then: after an earlier, unrecorded peak it can read a little lower later in the same process.
        assertTrue(mib(fp32, "peak RSS after load") >= mib(fp32, "peak RSS before load (baseline)") - 1.0, fp32);
        assertEquals(mib(fp32, "  planned"), mib(fp32, "base weight bytes held"), 0.0);
    }

    /** A real shape with random weights made in memory: the bytes held are the plan's, to the byte. */
    @Test
    void randomWeightsOfANamedShapeHoldWhatThePlanSays() {
        String nf4 = run("--shape", "smollm2-135m", "--random", "--nf4", "--bf16");
        assertTrue(nf4.contains("smollm2-135m (random weights)") && nf4.contains("loaded as nf4 (double quant), bf16"),
                nf4);
        assertEquals(mib(nf4, "  planned"), mib(nf4, "base weight bytes held"), 0.0);
        Matcher bits = Pattern.compile("bits per decoder-linear parameter\s+([0-9.]+)").matcher(nf4);
        assertTrue(bits.find(), nf4);
        double perParameter = Double.parseDouble(bits.group(1));
        assertTrue(perParameter > 4.12 && perParameter < 4.2, nf4); // 4.127 plus 2 KiB of decode table per weight
        int exit = new CommandLine(new LoadBench()).setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(new StringWriter())).execute("--shape", "smollm2-135m");
        assertEquals(1, exit, "a shape has no files: --random is required");
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new LoadBench()).setOut(new PrintWriter(out)).execute(args);
        assertEquals(0, exit, out.toString());
        return out.toString();
    }

    /** The MiB figure printed on the line that starts with {@code label}. */
    private static double mib(String report, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s+([0-9.]+) MiB$").matcher(report);
        assertTrue(m.find(), label + " missing in\n" + report);
        return Double.parseDouble(m.group(1));
    }
}
