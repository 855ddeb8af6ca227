package io.kubelora.trainer.device;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The devices a command computes on: the ones it was asked for, once libtorch has confirmed it can use them. A GPU
 * is never replaced by the CPU: a request libtorch cannot serve is a {@link GpuUnavailableException}.
 *
 * @param device   the (first) DJL device
 * @param replicas data-parallel replicas: one per GPU from {@code device} on, or that many sharing the CPU
 * @param hardware the GPU's name as CUDA reports it, or the CPU's model name
 * @param label    "cuda:0 (NVIDIA H200, 139.8 GiB)", "cpu (Intel(R) Xeon(R) ..., 2 cores)", with replicas
 *                 "cuda:0 to cuda:7 (8 replicas; NVIDIA H200, 139.8 GiB each)" or "cpu (..., 2 cores; 2 replicas)"
 * @param because  why these devices: "resources.gpus is 1", "--device cpu"
 */
public record ComputeDevice(Device device, int replicas, String hardware, String label, String because) {

    /** Checks the request against what libtorch can use; only a GPU request asks libtorch about CUDA. */
    public static ComputeDevice choose(DeviceRequest request) {
        int n = request.replicas();
        if (!request.wantsGpu()) {
            String cpu = CpuInfo.name();
            return new ComputeDevice(Device.cpu(), n, cpu, "cpu (" + cpu + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores" + (n > 1 ? "; " + n + " replicas" : "") + ")", request.because());
        }
        CudaInventory inventory = CudaInventory.probe();
        if (inventory.usableDevices() < request.gpusNeeded()) {
            throw new GpuUnavailableException(request, inventory);
        }
        return onGpus(request, inventory.gpus().subList(request.cudaIndex(), request.cudaIndex() + n));
    }

    /** The request served by {@code used}, the usable GPUs from its first device on, one per replica. */
    static ComputeDevice onGpus(DeviceRequest request, List<CudaInventory.Gpu> used) {
        int n = request.replicas();
        CudaInventory.Gpu gpu = used.get(0);
        boolean alike = used.stream().allMatch(g -> g.model().equals(gpu.model()));
        String label = n == 1 ? gpu.label()
                : alike ? request.deviceName() + " (" + n + " replicas; " + gpu.model() + " each)"
                : n + " replicas on " + String.join(", ", used.stream().map(CudaInventory.Gpu::label).toList());
        return new ComputeDevice(Device.gpu(request.cudaIndex()), n, gpu.name(), label, request.because());
    }

    /** The device of each replica: consecutive GPUs, or the CPU once per replica. */
    public List<Device> devices() {
        if (!device.isGpu()) {
            return Collections.nCopies(replicas, device);
        }
        List<Device> devices = new ArrayList<>(replicas);
        for (int i = 0; i < replicas; i++) {
            devices.add(Device.gpu(device.getDeviceId() + i));
        }
        return devices;
    }

    /** The one log line: "Device: cuda:0 (NVIDIA H200, 139.8 GiB) because resources.gpus is 1; compute bf16 (...)". */
    public String logLine(String compute) {
        return "Device: " + label + " because " + because + "; compute " + compute;
    }
}
