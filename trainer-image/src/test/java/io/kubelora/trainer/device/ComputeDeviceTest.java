package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

/** The checks that can run without a GPU: the CPU choice and the refusal of a GPU that libtorch cannot use. */
class ComputeDeviceTest {

    @Test
    void theCpuIsChosenWhenAskedForAndNamedWithItsReason() {
        ComputeDevice cpu = ComputeDevice.choose(DeviceRequest.cpu("resources.gpus is 0"));
        assertEquals(Device.cpu(), cpu.device());
        assertTrue(cpu.label().matches("cpu \\(.+, \\d+ cores\\)"), cpu.label());
        assertEquals("Device: " + cpu.label() + " because resources.gpus is 0; compute fp32 (training.precision auto)",
                cpu.logLine("fp32 (training.precision auto)"));
    }

    @Test
    void aGpuLibtorchCannotUseIsAnErrorNeverTheCpu() {
        CudaInventory cuda = CudaInventory.probe();
        assumeTrue(cuda.gpus().isEmpty(), "this machine has a GPU");
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class, () -> ComputeDevice.choose(
                DeviceRequest.gpus(1, "resources.gpus is 1", "set resources.gpus: 0 to train on the CPU")));
        assertTrue(e.getMessage().startsWith("GpuUnavailable: resources.gpus is 1 asks for 1 GPU (cuda:0) but libtorch "
                + cuda.libtorch().version() + " sees no usable CUDA device: " + cuda.whyNone()), e.getMessage());
        assertTrue(e.getMessage().endsWith(". Set resources.gpus: 0 to train on the CPU"), e.getMessage());
    }

    @Test
    void aCpuBuildOfLibtorchIsNamedAsTheReason() {
        CudaInventory cuda = CudaInventory.probe();
        assumeTrue(!cuda.libtorch().cuda(), "this libtorch is a CUDA build");
        assertTrue(cuda.whyNone().startsWith("this libtorch is a CPU build (" + cuda.libtorch().folder() + ")"),
                cuda.whyNone());
        assertTrue(cuda.whyNone().contains("NVIDIA driver"), "the driver's state is part of the reason");
    }
}
