package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.util.List;

/**
 * The memory a run's devices report, and the most any of them has used: on GPUs the device memory in use as the
 * driver reports it (cudaMemGetInfo through DJL: the CUDA context plus everything libtorch's caching allocator holds,
 * which keeps freed blocks, so a sample after each step sees the step's peak reserve), the largest of the run's GPUs
 * (every replica holds the same model and batch size); on a CPU this process's peak resident set.
 */
final class DeviceMemory {

    private final List<Device> gpus;
    private long peak;

    /** @param devices the devices of the run's replicas */
    DeviceMemory(List<Device> devices) {
        this.gpus = devices.stream().filter(Device::isGpu).distinct().toList();
    }

    /** The GPU's memory in bytes, or null for a CPU. */
    static Long total(Device device) {
        return device.isGpu() ? CudaUtils.getGpuMemory(device).getMax() : null;
    }

    /** Records the memory in use now on each GPU. */
    void sample() {
        for (Device gpu : gpus) {
            peak = Math.max(peak, CudaUtils.getGpuMemory(gpu).getUsed());
        }
    }

    /** The most memory in use seen: on GPUs the largest sample of any, on a CPU the peak resident set. */
    long peak() {
        return gpus.isEmpty() ? ProcessMemory.peakResidentBytes() : peak;
    }

    /** How {@link #peak()} was measured, for summary.json. */
    String source() {
        return gpus.isEmpty() ? "peak resident set of the trainer process (VmHWM)"
                : "GPU memory in use (cudaMemGetInfo), the largest after any step"
                        + (gpus.size() > 1 ? " on any of the " + gpus.size() + " GPUs" : "");
    }
}
