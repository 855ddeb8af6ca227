package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checks that can run without a GPU: the CPU choice, the refusal of a GPU that libtorch cannot use, and the
 * devices and labels of data-parallel replicas (the GPUs given as libtorch would report them).
 */
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

    @Test
    void replicasOnTheCpuShareItAndAreNamedInTheLabel() {
        ComputeDevice cpu = ComputeDevice.choose(DeviceRequest.cpu("resources.gpus is 0").withReplicas(3, "--replicas 3"));
        assertEquals(3, cpu.replicas());
        assertEquals(Collections.nCopies(3, Device.cpu()), cpu.devices());
        assertTrue(cpu.label().matches("cpu \\(.+, \\d+ cores; 3 replicas\\)"), cpu.label());
        assertEquals("resources.gpus is 0, --replicas 3", cpu.because());
    }

    @Test
    void replicasOnGpusTakeOneDeviceEachFromTheFirst() {
        CudaInventory.Gpu h200 = new CudaInventory.Gpu(0, "NVIDIA H200", 150_000_000_000L, 90);
        List<CudaInventory.Gpu> four = List.of(h200, new CudaInventory.Gpu(1, "NVIDIA H200", 150_000_000_000L, 90),
                new CudaInventory.Gpu(2, "NVIDIA H200", 150_000_000_000L, 90),
                new CudaInventory.Gpu(3, "NVIDIA H200", 150_000_000_000L, 90));
        ComputeDevice all = ComputeDevice.onGpus(DeviceRequest.gpus(4, "the pod has 4 GPU(s)", "hint"), four);
        assertEquals(List.of(Device.gpu(0), Device.gpu(1), Device.gpu(2), Device.gpu(3)), all.devices());
        assertEquals("cuda:0 to cuda:3 (4 replicas; NVIDIA H200, 139.7 GiB each)", all.label());

        ComputeDevice one = ComputeDevice.onGpus(DeviceRequest.gpus(1, "resources.gpus is 1", "hint"), List.of(h200));
        assertEquals(List.of(Device.gpu(0)), one.devices());
        assertEquals("cuda:0 (NVIDIA H200, 139.7 GiB)", one.label());

        List<CudaInventory.Gpu> mixed = List.of(h200, new CudaInventory.Gpu(1, "NVIDIA A100", 85_000_000_000L, 80));
        assertEquals("2 replicas on cuda:0 (NVIDIA H200, 139.7 GiB), cuda:1 (NVIDIA A100, 79.2 GiB)",
                ComputeDevice.onGpus(DeviceRequest.gpus(2, "x", "y"), mixed).label());
    }
}
