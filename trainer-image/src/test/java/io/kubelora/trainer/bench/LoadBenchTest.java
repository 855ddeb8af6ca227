package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** load-bench loads a model fp32 or NF4 and reports its file size, memory figures and the bytes it holds. */
class LoadBenchTest {

    /**
     * A model of 24 MB whose decoder linears dominate (D 512, 2 layers, vocab 512). Loaded twice in fp32 by one
     * fresh JVM ({@link #main}): the second load's high-water must show the weights again, which it only does when
     * the bench measures from a peak reset before the load rather than from the first load's peak. (Not in this test
     * JVM: memory other tests freed there would be reused by the load without growing the resident set.)
     */
    @Test
    void reportsTheFileSizeTheLoadsOwnHighWaterAndFewerBytesHeldWithNf4(@TempDir Path dir) throws Exception {
        ModelConfig config = ModelConfig.builder(Architecture.LLAMA).hiddenSize(512).intermediateSize(1408)
                .numHiddenLayers(2).numAttentionHeads(8).numKeyValueHeads(4).rmsNormEps(1e-5).ropeTheta(500_000.0)
                .vocabSize(512).build();
        ModelInitializer.write(config, 3, dir);
        String output = inAFreshJvm("--model", dir.toString());
        List<String> twoLoads = Stream.of(output.split("(?m)^(?=model )")).filter(r -> r.startsWith("model "))
                .toList();
        assertEquals(2, twoLoads.size(), output);
        String first = twoLoads.get(0);
        String second = twoLoads.get(1);
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
        assertEquals(mib(first, "  planned"), held, 0.0);
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

    /** Runs load-bench twice with {@code args}, one report after the other: the child JVM of the first test. */
    public static void main(String[] args) {
        for (int load = 0; load < 2; load++) {
            new CommandLine(new LoadBench()).execute(args);
        }
    }

    /** What {@link #main} printed, run as a child JVM on this test's class path. */
    private static String inAFreshJvm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                LoadBenchTest.class.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "load-bench timed out");
        assertEquals(0, child.exitValue(), out);
        return out;
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
