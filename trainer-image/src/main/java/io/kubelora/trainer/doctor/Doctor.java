package io.kubelora.trainer.doctor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.kubelora.trainer.device.CpuInfo;
import io.kubelora.trainer.device.CudaInventory;
import io.kubelora.trainer.device.DjlGpuCount;
import io.kubelora.trainer.device.LibtorchBuild;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The checks of {@code kubelora doctor}: what this machine runs (Java, DJL, libtorch and where it was loaded
 * from), the CUDA devices libtorch itself can use, and whether each computes what the CPU computes: a tiny LoRA
 * forward and backward in fp32 and bf16, and an NF4 dequantization, compared number for number. The report goes to
 * {@code out}; its last line is {@code doctor: OK} or {@code doctor: FAILED: <reason>}.
 */
public final class Doctor {

    /** fp32 on two devices agrees to rounding (GPU matmuls do not use TF32 unless asked). */
    static final Limits FP32 = new Limits(1e-4, 1e-3);
    /** bf16 rounds every product's inputs to 8 significant bits; devices sum in different orders. */
    static final Limits BF16 = new Limits(2e-2, 1e-1);
    /** NF4 dequantization is a table lookup and one fp32 product per element on every device. */
    static final double NF4_LIMIT = 1e-6;

    private final PrintStream out;
    private final List<String> failures = new ArrayList<>();

    private Doctor(PrintStream out) {
        this.out = out;
    }

    /**
     * Largest accepted differences to the CPU, relative to the CPU's values: of the mean loss, and of the largest
     * gradient element against the largest gradient magnitude.
     */
    record Limits(double loss, double gradient) {
    }

    /** Whether every check passed; {@code reason} is null when one did, else the first failure. */
    public record Outcome(boolean ok, String reason) {
        public String lastLine() {
            return ok ? "doctor: OK" : "doctor: FAILED: " + reason;
        }
    }

    /** Runs every check, printing the report and its last line; {@code requireGpu} fails a machine without GPU. */
    public static Outcome run(PrintStream out, boolean requireGpu) {
        Doctor doctor = new Doctor(out);
        Outcome outcome = doctor.check(requireGpu);
        out.println(outcome.lastLine());
        return outcome;
    }

    private Outcome check(boolean requireGpu) {
        CudaInventory cuda;
        try {
            LibtorchBuild libtorch = LibtorchBuild.current();
            environment(libtorch);
            cuda = CudaInventory.probe();
        } catch (RuntimeException | LinkageError e) {
            return new Outcome(false, "cannot load libtorch: " + e.getMessage());
        }
        devices(cuda);
        computations(cuda.gpus());
        if (cuda.gpus().isEmpty()) {
            out.println("GPU checks: skipped, no usable CUDA device");
            if (requireGpu) {
                failures.add("no usable CUDA device: " + cuda.whyNone());
            }
        }
        return failures.isEmpty() ? new Outcome(true, null) : new Outcome(false, failures.get(0));
    }

    private void environment(LibtorchBuild libtorch) {
        out.println("Java:      " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor")
                + ") at " + System.getProperty("java.home"));
        out.println("DJL:       " + Engine.getDjlVersion() + ", engine " + Engine.getInstance().getEngineName());
        out.println("libtorch:  " + libtorch.version() + ", " + libtorch.flavour() + " build, loaded from "
                + libtorch.library());
        out.println("DJL JNI:   " + (libtorch.jni() == null ? "not found among the loaded libraries" : libtorch.jni()));
        if (libtorch.cudaRuntime() != null) {
            out.println("CUDA runtime loaded by libtorch: " + libtorch.cudaRuntime());
        }
        out.println("CPU:       " + CpuInfo.describe());
    }

    private void devices(CudaInventory cuda) {
        if (cuda.gpus().isEmpty()) {
            out.println("CUDA devices libtorch can use: none: " + cuda.whyNone());
        } else {
            out.println("CUDA devices libtorch can use: " + cuda.gpus().size());
            cuda.gpus().forEach(gpu -> out.println("  " + gpu.describe()));
        }
        String djl = DjlGpuCount.describe();
        out.println("DJL's own GPU count (JNA): " + djl);
        if (!cuda.gpus().isEmpty() && djl.startsWith("0 ")) {
            out.println("  (only code that asks DJL for a default device is affected; the trainer asks libtorch)");
        }
    }

    private void computations(List<CudaInventory.Gpu> gpus) {
        try (LoraProbe lora = LoraProbe.create()) {
            out.println("LoRA forward and backward: " + lora.describe());
            LoraProbe.Result cpu32 = lora.run(Device.cpu(), false);
            reference("cpu fp32", cpu32);
            LoraProbe.Result cpu16 = lora.run(Device.cpu(), true);
            compare("cpu bf16", cpu16, "cpu fp32", cpu32, BF16);
            for (CudaInventory.Gpu gpu : gpus) {
                String name = "cuda:" + gpu.index();
                compare(name + " fp32", lora.run(Device.gpu(gpu.index()), false), "cpu fp32", cpu32, FP32);
                if (gpu.bf16()) {
                    compare(name + " bf16", lora.run(Device.gpu(gpu.index()), true), "cpu bf16", cpu16, BF16);
                } else {
                    out.println("  " + name + " bf16: skipped, compute capability below 8.0 has no bf16 tensor cores");
                }
            }
        } catch (Exception e) {
            fail("LoRA forward and backward failed: " + e.getMessage());
        }
        try {
            Nf4Probe nf4 = new Nf4Probe();
            out.println("NF4 dequantization: " + nf4.describe());
            float[] cpu = nf4.dequantizedOn(Device.cpu());
            nf4Line("cpu vs the host reference", Nf4Probe.maxAbsDifference(cpu, nf4.reference()));
            for (CudaInventory.Gpu gpu : gpus) {
                nf4Line("cuda:" + gpu.index() + " vs cpu",
                        Nf4Probe.maxAbsDifference(nf4.dequantizedOn(Device.gpu(gpu.index())), cpu));
            }
        } catch (RuntimeException e) {
            fail("NF4 dequantization failed: " + e.getMessage());
        }
    }

    private void reference(String name, LoraProbe.Result result) {
        double norm = 0;
        for (float g : result.gradients()) {
            norm += (double) g * g;
        }
        norm = Math.sqrt(norm);
        String verdict = Double.isFinite(result.loss()) && Double.isFinite(norm) && norm > 0 ? "ok" : "FAILED";
        out.printf(Locale.ROOT, "  %-12s loss %.6f, LoRA gradient norm %.4g (the reference): %s%n", name,
                result.loss(), norm, verdict);
        if (!verdict.equals("ok")) {
            fail(name + ": loss " + result.loss() + ", gradient norm " + norm + " (expected finite and non-zero)");
        }
    }

    private void compare(String name, LoraProbe.Result result, String againstName, LoraProbe.Result against,
                         Limits limits) {
        LoraProbe.Difference d = LoraProbe.Difference.between(result, against);
        boolean ok = d.within(limits);
        out.printf(Locale.ROOT, "  %-12s loss %.6f vs %s: loss diff %.2e (relative %.2e, limit %.0e), "
                        + "gradient max diff %.2e (relative %.2e, limit %.0e): %s%n", name, result.loss(), againstName,
                d.loss(), d.lossRelative(), limits.loss(), d.gradient(), d.gradientRelative(), limits.gradient(),
                ok ? "ok" : "FAILED");
        if (!ok) {
            fail(String.format(Locale.ROOT, "%s differs from %s: loss relative %.2e (limit %.0e), gradients "
                    + "relative %.2e (limit %.0e)", name, againstName, d.lossRelative(), limits.loss(),
                    d.gradientRelative(), limits.gradient()));
        }
    }

    private void nf4Line(String what, double maxDiff) {
        boolean ok = maxDiff <= NF4_LIMIT;
        out.printf(Locale.ROOT, "  %s: max diff %.2e (limit %.0e): %s%n", what, maxDiff, NF4_LIMIT,
                ok ? "ok" : "FAILED");
        if (!ok) {
            fail("NF4 dequantization " + what + " differs by " + maxDiff);
        }
    }

    private void fail(String reason) {
        failures.add(reason);
    }
}
