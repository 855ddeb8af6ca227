package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuMemoryTest {

    @Test
    void theMemoryPoolIsReadOnlyWhenLibtorchAllocatesFromIt() {
        assertTrue(GpuMemory.usesMemoryPool(Map.of("PYTORCH_CUDA_ALLOC_CONF", "backend:cudaMallocAsync")));
        assertTrue(GpuMemory.usesMemoryPool(Map.of("PYTORCH_ALLOC_CONF", "expandable_segments:False, backend: cudaMallocAsync")));
        assertFalse(GpuMemory.usesMemoryPool(Map.of("PYTORCH_CUDA_ALLOC_CONF", "backend:native")));
        assertFalse(GpuMemory.usesMemoryPool(Map.of()));
    }
}
