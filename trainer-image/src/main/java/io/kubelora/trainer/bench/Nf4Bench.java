package io.kubelora.trainer.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.sun.management.OperatingSystemMXBean;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.quant.Nf4;
import io.kubelora.trainer.quant.Nf4Tensor;
import io.kubelora.trainer.quant.Nf4Weight;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures what NF4 costs and saves for one [out, in] weight of Gaussian values: bits per
 * parameter actually held on the device (with and without double quantization), the host
 * quantization time, and the device dequantization throughput of {@link Nf4Weight#materialize},
 * reported in GB/s of bf16-equivalent output (2 bytes per element, the size of the weight it
 * stands in for).
 */
@Command(name = "nf4-bench", mixinStandardHelpOptions = true,
        description = "Measure NF4 memory (bits/param) and dequantization throughput for one weight shape.")
public final class Nf4Bench implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "4096", description = "Output features (rows). Default: ${DEFAULT-VALUE}.")
    long out;

    @Option(names = "--in", defaultValue = "4096", description = "Input features (columns). Default: ${DEFAULT-VALUE}.")
    long in;

    @Option(names = "--iterations", defaultValue = "20",
            description = "Timed dequantizations per variant. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed dequantizations first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random weight. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N",
            description = "Where to dequantize (default cpu); a GPU that cannot be used is an error.")
    String device;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Nf4Bench()).execute(args));
    }

    @Override
    public Integer call() {
        if (out <= 0 || in <= 0 || out * in > Integer.MAX_VALUE - Nf4.BLOCK_SIZE) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--out and --in must be positive with out*in below 2^31, got " + out + " x " + in);
        }
        if (iterations < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--iterations must be >= 1 and --warmup >= 0");
        }
        PrintWriter printer = spec.commandLine().getOut();
        int count = (int) (out * in);
        float[] weight = gaussian(count, seed);
        ComputeDevice chosen = ComputeDevice.choose(DeviceRequest.option(device, "cpu", "pass --device cpu"));
        System.err.println(chosen.logLine("fp32 dequantization"));
        try (NDManager manager = NDManager.newBaseManager(chosen.device(), "PyTorch")) {
            printer.printf("NF4 weight [%d, %d] = %,d params on %s; bf16 would hold 16.000 bits/param%n",
                    out, in, count, manager.getDevice());
            printer.printf("%-13s %14s %10s %12s %14s %14s %14s %10s%n", "scales", "bytes held", "bits/param",
                    "quantize ms", "dequant ms p50", "dequant ms min", "cpu ms p50", "GB/s bf16");
            for (boolean doubleQuant : new boolean[] {false, true}) {
                long start = System.nanoTime();
                Nf4Tensor tensor = Nf4Tensor.quantize(weight, out, in, doubleQuant);
                double quantizeMs = (System.nanoTime() - start) / 1e6;
                try (Nf4Weight nf4 = Nf4Weight.upload(tensor, manager)) {
                    double[][] times = timeMaterialize(nf4, manager);
                    double[] wall = times[0];
                    double median = wall[wall.length / 2];
                    double gbPerSecond = 2.0 * count / (median / 1e3) / 1e9;
                    printer.printf("%-13s %,14d %10.3f %12.1f %14.2f %14.2f %14.2f %10.2f%n",
                            doubleQuant ? "double-quant" : "fp32 absmax", nf4.bytesHeld(),
                            8.0 * nf4.bytesHeld() / count, quantizeMs, median, wall[0],
                            times[1][times[1].length / 2], gbPerSecond);
                }
            }
        }
        printer.flush();
        return 0;
    }

    /**
     * Sorted wall times [0] and process CPU times [1] (all threads, so several cores' work adds up;
     * NaN where the JVM cannot tell) in ms of {@link #iterations} materializations, each in a scope
     * closed at once. CPU time shows the cost apart from waiting on a busy machine.
     */
    private double[][] timeMaterialize(Nf4Weight nf4, NDManager manager) {
        double[] wall = new double[iterations];
        double[] cpu = new double[iterations];
        for (int i = -warmup; i < iterations; i++) {
            long cpuStart = processCpuNanos();
            long start = System.nanoTime();
            try (NDManager scope = manager.newSubManager()) {
                NDArray materialized = nf4.materialize(scope);
                // Reading one element waits for the device, so asynchronous GPU work is timed too.
                try (NDArray first = materialized.get(0, 0)) {
                    first.getFloat();
                }
            }
            if (i >= 0) {
                wall[i] = (System.nanoTime() - start) / 1e6;
                cpu[i] = cpuStart < 0 ? Double.NaN : (processCpuNanos() - cpuStart) / 1e6;
            }
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        return new double[][] {wall, cpu};
    }

    /** CPU time of the whole process in ns, or -1 where the JVM does not report it. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                ? os.getProcessCpuTime()
                : -1;
    }

    private static float[] gaussian(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
        }
        return values;
    }
}
