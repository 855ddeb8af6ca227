package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.trainer.device.CudaInventory;
import io.kubelora.trainer.device.GpuMemory;
import java.util.Optional;

/**
 * The memory a run's device has, and the most it has used: on a GPU the peak {@link GpuMemory} reads (the caching
 * allocator's reserve, or the CUDA pool's high-water mark) plus the CUDA context, the figure a memory plan's total
 * stands for; on a CPU the process's peak resident set.
 */
final class DeviceMemory {

    private final Device device;
    private final Optional<GpuMemory> gpu;

    /** Starts watching {@code device}: on a GPU, before libtorch allocates anything on it. */
    DeviceMemory(Device device) {
        this.device = device;
        this.gpu = device.isGpu() ? GpuMemory.watch(device.getDeviceId(), System.getenv()) : Optional.empty();
    }

    /** The GPU's memory in bytes as CUDA reports it; null for a CPU, or when it cannot be read. */
    static Long total(Device device) {
        if (!device.isGpu()) {
            return null;
        }
        return CudaInventory.probe().gpus().stream().filter(g -> g.index() == device.getDeviceId())
                .map(CudaInventory.Gpu::totalBytes).filter(bytes -> bytes > 0).findFirst().orElse(null);
    }

    /** Records the memory in use now (the caching allocator keeps freed blocks, so a sample per step sees its peak). */
    void sample() {
        gpu.ifPresent(GpuMemory::sample);
    }

    /** The most memory used: on a GPU the reserved peak plus the CUDA context (0 when unreadable), on a CPU VmHWM. */
    long peak() {
        if (!device.isGpu()) {
            return ProcessMemory.peakResidentBytes();
        }
        return gpu.map(g -> {
            Long reserved = g.peaks().reserved();
            return reserved == null ? 0L : reserved + g.contextBytes();
        }).orElse(0L);
    }

    /** How {@link #peak()} was measured, for summary.json. */
    String source() {
        if (!device.isGpu()) {
            return "peak resident set of the trainer process (VmHWM)";
        }
        return gpu.map(g -> g.peaks().how() + ", plus the CUDA context")
                .orElse("unknown: libtorch's CUDA runtime is not among the loaded libraries");
    }
}
