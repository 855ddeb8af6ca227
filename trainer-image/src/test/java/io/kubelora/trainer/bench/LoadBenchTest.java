package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
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

    /**
     * A model of 24 MB whose decoder linears dominate (D 512, 2 layers, vocab 512). Loaded twice in fp32: the
     * second load's high-water must show the weights again, which it only does when the bench measures from a
     * peak reset before the load rather than from whatever the process (this test JVM) peaked at before.
     */
    @Test
    void reportsTheFileSizeTheLoadsOwnHighWaterAndFewerBytesHeldWithNf4(@TempDir Path dir) throws Exception {
        ModelConfig config = ModelConfig.builder(Architecture.LLAMA).hiddenSize(512).intermediateSize(1408)
                .numHiddenLayers(2).numAttentionHeads(8).numKeyValueHeads(4).rmsNormEps(1e-5).ropeTheta(500_000.0)
                .vocabSize(512).build();
        ModelInitializer.write(config, 3, dir);
        String first = run("--model", dir.toString());
        String second = run("--model", dir.toString());
        String nf4 = run("--model", dir.toString(), "--nf4");
        assertTrue(first.contains("loaded as fp32"), first);
        assertTrue(nf4.contains("loaded as nf4 (double quant)"), nf4);
        double fileMib = Files.size(dir.resolve("model.safetensors")) / (1024.0 * 1024.0);
        assertEquals(fileMib, mib(first, "weight files"), 0.05);
        double held = mib(first, "base weight bytes held");
        assertEquals(4.0 * (config.parameterCount()) / (1024.0 * 1024.0), held, 0.1, "fp32: 4 bytes per parameter");
        for (String report : new String[] {first, second}) {
            assertTrue(mib(report, "load high-water (peak - baseline)") >= 0.9 * held,
                    "the weights held must show in the load's own high-water:\n" + report);
        }
        // Only the decoder linears shrink: embeddings and norms stay fp32.
        assertTrue(mib(nf4, "base weight bytes held") < held / 4, first + nf4);
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new LoadBench()).setOut(new PrintWriter(out)).execute(args);
        assertEquals(0, exit, out.toString());
        return out.toString();
    }

    /** The MiB figure printed on the line that starts with {@code label}. */
    private static double mib(String report, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s+([0-9.]+) MiB").matcher(report);
        assertTrue(m.find(), label + " missing in\n" + report);
        return Double.parseDouble(m.group(1));
    }
}
