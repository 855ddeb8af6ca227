package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;

/**
 * The memory a run's device reports, and the most it has used: on a GPU the device memory in use as the driver
 * reports it (cudaMemGetInfo through DJL: the CUDA context plus everything libtorch's caching allocator holds,
 * which keeps freed blocks, so a sample after each step sees the step's peak reserve); on a CPU this process's
 * peak resident set.
 */
final class DeviceMemory {

    private final Device device;
    private long peak;

    DeviceMemory(Device device) {
        this.device = device;
    }

    /** The GPU's memory in bytes, or null for a CPU. */
    static Long total(Device device) {
        return device.isGpu() ? CudaUtils.getGpuMemory(device).getMax() : null;
    }

    /** Records the memory in use now. */
    void sample() {
        if (device.isGpu()) {
            peak = Math.max(peak, CudaUtils.getGpuMemory(device).getUsed());
        }
    }

    /** The most memory in use seen: on a GPU the largest sample, on a CPU the peak resident set. */
    long peak() {
        return device.isGpu() ? peak : ProcessMemory.peakResidentBytes();
    }

    /** How {@link #peak()} was measured, for summary.json. */
    String source() {
        return device.isGpu() ? "GPU memory in use (cudaMemGetInfo), the largest after any step"
                : "peak resident set of the trainer process (VmHWM)";
    }
}
