package io.kubelora.trainer.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.memory.WeightBytes;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.train.ProcessMemory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures what loading a model costs: the process's peak resident set (VmHWM) before and after loading, and the
 * weight bytes the model then holds (fp32, bf16 or NF4) against the memory plan's weight figures. The model comes
 * from a folder ({@code --model}) or is a named real shape with random weights made in memory ({@code --shape NAME
 * --random}: an 8B model without a download). The peak is first reset to the current RSS (Linux), so that nothing
 * the process did before counts. On a CPU device the weights live in the process, so peak RSS minus the baseline is
 * the loader's high-water mark; the expected one is the model held plus about one decoder layer in fp32 (NF4
 * quantizes on the host from fp32), plus the file pages the loader maps while it reads.
 */
@Command(name = "load-bench", mixinStandardHelpOptions = true,
        description = "Load a model (a folder, or a named shape with random weights) in fp32, bf16 or NF4 and print "
                + "its peak RSS and the bytes its weights hold against the memory plan.")
public final class LoadBench implements Callable<Integer> {

    private static final double MIB = 1024.0 * 1024.0;
    private static final long CLEANER_WAIT_MILLIS = 1000;

    /** Where the model comes from. */
    static final class Source {
        @Option(names = "--model", paramLabel = "DIR", description = "Model folder to load.")
        Path model;

        @Option(names = "--shape", paramLabel = "NAME",
                description = "A named real shape (llama-3.1-8b, llama-3.2-1b, ...), with --random.")
        String shape;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--random", description = "With --shape: random weights made in memory (no files).")
    boolean random;

    @Option(names = "--nf4", description = "Quantize the decoder linears to NF4 while loading (QLoRA).")
    boolean nf4;

    @Option(names = "--double-quant", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --nf4: 8-bit block scales (default ${DEFAULT-VALUE}).")
    boolean doubleQuant;

    @Option(names = "--bf16", description = "Hold dense weights, the embedding and the head in bf16.")
    boolean bf16;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N",
            description = "Where to load the weights (default cpu); a GPU that cannot be used is an error.")
    String device;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (source.shape != null && !random) {
            throw new IllegalArgumentException("--shape needs --random: named shapes have no files to load");
        }
        PrintWriter printer = spec.commandLine().getOut();
        ModelConfig config = source.model != null ? ModelConfig.read(source.model) : ModelShapes.config(source.shape);
        ComputeDevice chosen = ComputeDevice.choose(DeviceRequest.option(device, "cpu", "pass --device cpu"));
        System.err.println(chosen.logLine(precision() + " base weights"));
        // Start the engine first, so that the baseline holds the JVM and libtorch but no weights.
        try (NDManager warmup = NDManager.newBaseManager(chosen.device(), "PyTorch");
             NDArray one = warmup.ones(new Shape(1))) {
            one.getFloat();
        }
        System.gc();
        // The peak so far may come from anything this process did before (another load, a test): start anew.
        boolean peakReset = ProcessMemory.resetPeak();
        long baseline = ProcessMemory.peakResidentBytes();
        ModelOptions options = ModelOptions.on(chosen.device()).withBf16Compute(bf16);
        if (nf4) {
            options = options.withNf4(doubleQuant);
        }
        Engine.getInstance().setRandomSeed(1);
        long start = System.nanoTime();
        try (CausalLm lm = source.model != null ? CausalLm.load(source.model, options)
                : CausalLm.random(config, options)) {
            double seconds = (System.nanoTime() - start) / 1e9;
            long peak = ProcessMemory.peakResidentBytes();
            long held = lm.baseWeightBytes();
            long planned = WeightBytes.onDevice(config, options) + WeightBytes.onHost(config, options);
            long layerFp32 = oneLayerFp32Bytes(config);
            printer.printf("model %s: %d layers, %,d parameters, loaded as %s on %s in %.1f s%n",
                    source.model != null ? source.model : source.shape + " (random weights)",
                    config.numHiddenLayers(), lm.parameterCount(), precision(), lm.manager().getDevice(), seconds);
            if (source.model != null) {
                printer.printf("%-36s %10.1f MiB%n", "weight files", fileBytes(source.model) / MIB);
            }
            printer.printf("%-36s %10.1f MiB%n", "base weight bytes held", held / MIB);
            printer.printf("%-36s %10.1f MiB%n", "  planned", planned / MIB);
            printer.printf("%-36s %10.4f %%%n", "  held vs planned", 100.0 * (held - planned) / planned);
            printer.printf("%-36s %10.1f MiB%n", "  decoder linears held", lm.decoderLinearBytes() / MIB);
            printer.printf("%-36s %10.3f%n", "  bits per decoder-linear parameter",
                    8.0 * lm.decoderLinearBytes() / WeightBytes.decoderLinearParameters(config));
            printer.printf("%-36s %10.1f MiB%n", "one decoder layer's linears in fp32", layerFp32 / MIB);
            printer.printf("%-36s %10.1f MiB%s%n", "peak RSS before load (baseline)", baseline / MIB,
                    peakReset ? "" : " (the peak could not be reset: earlier peaks count)");
            printer.printf("%-36s %10.1f MiB%n", "peak RSS after load", peak / MIB);
            printer.printf("%-36s %10.1f MiB%n", "load high-water (peak - baseline)", (peak - baseline) / MIB);
            printer.printf("%-36s %10.1f MiB%n", "expected (held + one fp32 layer)", (held + layerFp32) / MIB);
            printer.printf("%-36s %10.1f MiB%n", "RSS now", ProcessMemory.residentBytes() / MIB);
            printer.printf("%-36s %10.1f MiB%n", "  of which mapped file pages",
                    ProcessMemory.residentFileBytes() / MIB);
            Runtime runtime = Runtime.getRuntime();
            printer.printf("%-36s %10.1f MiB%n", "  Java heap committed", runtime.totalMemory() / MIB);
            // The loader's read windows stay mapped (and resident) until their buffers are collected and
            // the cleaner thread unmaps them; a GC and a short wait show how much of the peak was such clean,
            // reclaimable file pages rather than memory the model holds.
            System.gc();
            Thread.sleep(CLEANER_WAIT_MILLIS);
            printer.printf("%-36s %10.1f MiB%n", "RSS after a GC", ProcessMemory.residentBytes() / MIB);
            printer.printf("%-36s %10.1f MiB%n", "  of which mapped file pages",
                    ProcessMemory.residentFileBytes() / MIB);
        }
        printer.flush();
        return 0;
    }

    private String precision() {
        String dense = bf16 ? "bf16" : "fp32";
        return nf4 ? (doubleQuant ? "nf4 (double quant)" : "nf4 (fp32 scales)") + ", " + dense + " embedding and head"
                : dense;
    }

    /** Bytes of the fp32 weights of one decoder layer's linears: what the loader dequantizes at a time. */
    static long oneLayerFp32Bytes(ModelConfig config) {
        long elements = 0;
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = config.linearShape(module);
            elements += shape[0] * shape[1];
        }
        return elements * Float.BYTES;
    }

    /** Total size of the folder's safetensors files. */
    private static long fileBytes(Path dir) throws IOException {
        long total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path file : files) {
                total += Files.size(file);
            }
        }
        return total;
    }
}
