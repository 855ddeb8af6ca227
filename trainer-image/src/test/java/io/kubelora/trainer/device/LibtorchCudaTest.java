package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * What TorchScript offers of torch.cuda, found on the CPU build of libtorch: {@code torch.cuda.device_count},
 * {@code synchronize}, {@code current_device} and the stream calls are ops of a {@code cuda::} namespace that only
 * libtorch_cuda registers, so a CPU build refuses to compile them ("Unknown builtin op"); get_device_properties,
 * get_device_capability and the memory statistics (max_memory_allocated) are Python functions with no op at all.
 */
class LibtorchCudaTest {

    @Test
    void aCpuBuildHasNoCudaCountOpAndSaysSo() {
        LibtorchBuild libtorch = LibtorchBuild.current();
        assumeTrue(!libtorch.cuda(), "this libtorch is a CUDA build");
        LibtorchCuda.Count count = LibtorchCuda.deviceCount();
        assertEquals(-1, count.devices());
        assertTrue(count.error().startsWith("Unknown builtin op: cuda::device_count"), count.error());
    }

    @Test
    void theLoadedLibrariesShowWhereLibtorchCameFrom() {
        LibtorchBuild libtorch = LibtorchBuild.current();
        assertTrue(libtorch.library().getFileName().toString().startsWith("libtorch_cpu.so"), libtorch.library()
                .toString());
        assertTrue(libtorch.jni() != null && libtorch.jni().getFileName().toString().contains("libdjl_torch"),
                "the JNI in use: " + libtorch.jni());
        assertTrue(libtorch.version().matches("\\d+\\.\\d+\\.\\d+"), libtorch.version());
    }
}
