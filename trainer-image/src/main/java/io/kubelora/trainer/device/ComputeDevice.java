package io.kubelora.trainer.device;

import ai.djl.Device;

/**
 * The device a command computes on: the one it was asked for, once libtorch has confirmed it can use it. A GPU is
 * never replaced by the CPU: a request libtorch cannot serve is a {@link GpuUnavailableException}.
 *
 * @param device   the DJL device
 * @param hardware the GPU's name as CUDA reports it, or the CPU's model name
 * @param label    "cuda:0 (NVIDIA H200, 139.8 GiB)" or "cpu (Intel(R) Xeon(R) ..., 2 cores)"
 * @param because  why this device: "resources.gpus is 1", "--device cpu"
 */
public record ComputeDevice(Device device, String hardware, String label, String because) {

    /** Checks the request against what libtorch can use; only a GPU request asks libtorch about CUDA. */
    public static ComputeDevice choose(DeviceRequest request) {
        if (!request.wantsGpu()) {
            String cpu = CpuInfo.name();
            return new ComputeDevice(Device.cpu(), cpu, "cpu (" + cpu + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores)", request.because());
        }
        CudaInventory inventory = CudaInventory.probe();
        if (inventory.usableDevices() < request.gpusNeeded()) {
            throw new GpuUnavailableException(request, inventory);
        }
        CudaInventory.Gpu gpu = inventory.gpus().get(request.cudaIndex());
        return new ComputeDevice(Device.gpu(request.cudaIndex()), gpu.name(), gpu.label(), request.because());
    }

    /** The one log line: "Device: cuda:0 (NVIDIA H200, 139.8 GiB) because resources.gpus is 1; compute bf16 (...)". */
    public String logLine(String compute) {
        return "Device: " + label + " because " + because + "; compute " + compute;
    }
}
