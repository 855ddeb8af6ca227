package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanSettings;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Running out of memory is told apart by where it happened, and reported with the run's memory plan. */
class OutOfMemoryReportsTest {

    private static final MemoryPlan GPU_PLAN = MemoryPlan.of(ModelShapes.config("llama-3.1-8b"), new PlanSettings(
            ModelOptions.on(Device.gpu()).withBf16Compute(true).withGradientCheckpointing(true)
                    .withEmbeddingOnHost(true), 16, WeightNames.LINEAR_MODULES, 0.0, 4, 4096, 1, false, 1));

    /** The forms libtorch reports CUDA's out-of-memory in: the caching allocator, the runtime, cuBLAS, cuDNN. */
    @ParameterizedTest
    @ValueSource(strings = {
        "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23.55 GiB of which 1.2 GiB is "
                + "free. Of the allocated memory 20.1 GiB is allocated by PyTorch\nException raised from malloc at "
                + "c10/cuda/CUDACachingAllocator.cpp:1381",
        "CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported at some other API call",
        "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
        "cuDNN error: CUDNN_STATUS_ALLOC_FAILED",
    })
    void gpuOutOfMemoryIsReportedWithThePlanAndAdvice(String libtorch) {
        RuntimeException thrown = new RuntimeException("step 3 failed", new EngineException(libtorch));
        RuntimeException report = OutOfMemoryReports.explain(thrown, GPU_PLAN);
        assertInstanceOf(OutOfGpuMemoryException.class, report);
        assertSame(thrown, report.getCause());
        String message = report.getMessage();
        assertTrue(message.startsWith("out of GPU memory: " + libtorch.lines().findFirst().orElseThrow()), message);
        assertTrue(!message.contains("Exception raised from"), "libtorch's trace is left out: " + message);
        assertTrue(message.contains("decoder linears 13.00 GiB") && message.contains("total "), message);
        assertTrue(message.contains("Changes that lower the plan by a fifth: It fits with quantization: nf4"), message);
    }

    @Test
    void hostOutOfMemoryNamesTheJvmHeapDirectBuffersOrLibtorch() {
        String heap = OutOfMemoryReports.explain(new OutOfMemoryError("Java heap space"), GPU_PLAN).getMessage();
        assertTrue(heap.startsWith("out of host memory (the JVM heap: Java heap space)"), heap);
        assertTrue(heap.contains("in host memory (embedding 0.98 GiB)"), heap);
        String direct = OutOfMemoryReports.explain(new UncheckedIOException("reading weights", new java.io.IOException(
                "x", new OutOfMemoryError("Cannot reserve 67108864 bytes of direct buffer memory"))), GPU_PLAN)
                .getMessage();
        assertTrue(direct.startsWith("out of host memory (the JVM's direct buffers"), direct);
        RuntimeException nativeOom = OutOfMemoryReports.explain(new EngineException("[enforce fail at "
                + "alloc_cpu.cpp:117] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                + "4294967296 bytes. Error code 12 (Cannot allocate memory)"), GPU_PLAN);
        assertInstanceOf(OutOfHostMemoryException.class, nativeOom);
        assertTrue(nativeOom.getMessage().startsWith("out of host memory (libtorch's native allocations"),
                nativeOom.getMessage());
    }

    @Test
    void otherErrorsAreLeftAlone() {
        assertNull(OutOfMemoryReports.explain(new EngineException("shape mismatch: [2, 3] and [4, 5]"), GPU_PLAN));
        assertNull(OutOfMemoryReports.explain(new IllegalStateException("memory plan"), GPU_PLAN));
    }
}
