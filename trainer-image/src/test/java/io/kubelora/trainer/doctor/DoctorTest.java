package io.kubelora.trainer.doctor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.kubelora.trainer.cli.Main;
import io.kubelora.trainer.device.CudaInventory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DoctorTest {

    private static CudaInventory cuda;

    @BeforeAll
    static void probe() {
        cuda = CudaInventory.probe();
    }

    private static List<String> report(boolean requireGpu, boolean[] ok) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ok[0] = Doctor.run(out, requireGpu).ok();
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void withoutAGpuTheReportSaysWhyAndTheCpuChecksPass() {
        assumeTrue(cuda.gpus().isEmpty(), "this machine has a GPU");
        boolean[] ok = new boolean[1];
        List<String> lines = report(false, ok);
        String text = String.join("\n", lines);
        assertTrue(ok[0], text);
        assertEquals("doctor: OK", lines.get(lines.size() - 1), text);
        assertTrue(lines.get(0).startsWith("Java:      " + System.getProperty("java.version")), text);
        assertTrue(text.contains("\nlibtorch:  " + cuda.libtorch().version() + ", "), text);
        assertTrue(text.contains(", loaded from " + cuda.libtorch().library()), text);
        assertTrue(text.contains("\nCUDA devices libtorch can use: none: " + cuda.whyNone()), text);
        assertTrue(text.contains("\nDJL's own GPU count (JNA): "), text);
        assertTrue(lines.stream().anyMatch(l -> l.matches("  cpu fp32 +loss \\d+\\.\\d{6}, .*: ok")), text);
        assertTrue(lines.stream().anyMatch(l -> l.matches("  cpu bf16 +loss \\d+\\.\\d{6} vs cpu fp32: .*: ok")), text);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  cpu vs the host reference: max diff ")), text);
        assertTrue(text.contains("\nGPU checks: skipped, no usable CUDA device\n"), text);
    }

    @Test
    void requireGpuFailsAMachineWithoutOneWithTheReasonAndExitCode1() {
        assumeTrue(cuda.gpus().isEmpty(), "this machine has a GPU");
        boolean[] ok = new boolean[1];
        List<String> lines = report(true, ok);
        assertFalse(ok[0]);
        assertEquals("doctor: FAILED: no usable CUDA device: " + cuda.whyNone(), lines.get(lines.size() - 1));
        assertEquals(1, Main.run("doctor", "--require-gpu"));
        assertEquals(0, Main.run("doctor"));
    }

    @Test
    void theTinyLoraPassIsRepeatableAndADifferenceIsCaught() throws Exception {
        try (LoraProbe probe = LoraProbe.create()) {
            LoraProbe.Result first = probe.run(Device.cpu(), false);
            LoraProbe.Result second = probe.run(Device.cpu(), false);
            assertEquals(first.loss(), second.loss(), "same weights, adapters and tokens give the same loss");
            assertArrayEquals(first.gradients(), second.gradients());
            assertTrue(LoraProbe.Difference.between(second, first).within(Doctor.FP32));

            float[] moved = first.gradients().clone();
            int largest = 0;
            for (int i = 0; i < moved.length; i++) {
                largest = Math.abs(moved[i]) > Math.abs(moved[largest]) ? i : largest;
            }
            moved[7] += 0.01f * Math.abs(moved[largest]); // 1% of the largest gradient, on one element
            LoraProbe.Difference d = LoraProbe.Difference.between(new LoraProbe.Result(first.loss(), moved), first);
            assertEquals(0.01, d.gradientRelative(), 1e-4);
            assertFalse(d.within(Doctor.FP32), "1% is far outside fp32 rounding");
            assertTrue(d.within(Doctor.BF16), "and inside bf16's");

            moved[3] = Float.NaN;
            assertFalse(LoraProbe.Difference.between(new LoraProbe.Result(first.loss(), moved), first)
                    .within(Doctor.BF16), "NaN is never within a limit");

            int nonZeroA = 0;
            for (float g : first.gradients()) {
                nonZeroA += g != 0 ? 1 : 0;
            }
            assertTrue(nonZeroA > first.gradients().length * 0.9, "random B: A's gradients are not zero either");
        }
    }
}
