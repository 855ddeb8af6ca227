package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NativeLibrariesTest {

    @Test
    void libtorchsOwnCudaRuntimeWinsOverOneLoadedByName() {
        Path torchLib = Path.of("/opt/libtorch/site-packages/torch/lib");
        Path system = Path.of("/usr/local/cuda-13.0/lib/libcudart.so.13");
        Path wheel = Path.of("/opt/libtorch/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12");
        assertEquals(Optional.of(wheel), NativeLibraries.cudaRuntimeOf(torchLib,
                List.of(Path.of("/usr/lib/libc.so.6"), system, wheel)));
        assertEquals(Optional.of(system), NativeLibraries.cudaRuntimeOf(torchLib, List.of(system)),
                "libtorch built against the system CUDA uses the system runtime");
        assertEquals(Optional.empty(), NativeLibraries.cudaRuntimeOf(torchLib, List.of(Path.of("/usr/lib/libc.so.6"))));
    }
}
