package io.kubelora.api;

/** Environment variables the operator sets in the training container and the trainer reads. */
public final class TrainerEnvironment {

    /**
     * The number of GPUs the operator gave the training pod (spec.resources.gpus). A trainer that finds fewer
     * usable CUDA devices stops at once with reason GpuUnavailable instead of training on the CPU.
     */
    public static final String POD_GPUS = "KUBELORA_POD_GPUS";

    /**
     * The memory of one GPU of the pod's node (bytes, or a size such as 80Gi), from the run's FineTuneProfile: the
     * trainer checks its memory plan against it before anything is downloaded, instead of the device's own.
     */
    public static final String GPU_MEMORY = "KUBELORA_GPU_MEMORY";

    private TrainerEnvironment() {
    }
}
