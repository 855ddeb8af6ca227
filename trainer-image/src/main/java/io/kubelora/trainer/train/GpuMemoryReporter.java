package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.util.List;

/** Publishes the GPU memory in use (kubelora_gpu_memory_bytes) at every report of a run on a GPU. */
final class GpuMemoryReporter implements TrainingObserver {

    private final Device device;
    private final List<TrainerMetrics> metrics;

    GpuMemoryReporter(Device device, List<TrainingObserver> observers) {
        this.device = device;
        this.metrics = observers.stream().filter(TrainerMetrics.class::isInstance).map(TrainerMetrics.class::cast)
                .toList();
    }

    @Override
    public void onReport(StepReport report) {
        if (metrics.isEmpty()) {
            return;
        }
        long used = CudaUtils.getGpuMemory(device).getUsed();
        metrics.forEach(m -> m.setGpuMemory(used));
    }
}
