package io.kubelora.trainer.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The CUDA devices libtorch can use, each with its name, memory and compute capability, and, when there are
 * none, the reason in plain words (a CPU build of libtorch, no driver, a driver too old for the runtime, no
 * visible device).
 *
 * @param libtorch the libtorch in use
 * @param gpus     the devices libtorch can use, by index
 * @param whyNone  why there is no usable device; null when there is one
 */
public record CudaInventory(LibtorchBuild libtorch, List<Gpu> gpus, String whyNone) {

    /**
     * One CUDA device.
     *
     * @param capability compute capability as major * 10 + minor (90 for 9.0), -1 when unknown
     * @param totalBytes device memory, 0 when unknown
     */
    public record Gpu(int index, String name, long totalBytes, int capability) {

        /** Native bf16 tensor-core arithmetic: compute capability 8.0 (Ampere) or newer. */
        public boolean bf16() {
            return capability >= 80;
        }

        /** "cuda:0 (NVIDIA H200, 139.8 GiB)". */
        public String label() {
            return "cuda:" + index + " (" + model() + ")";
        }

        /** "NVIDIA H200, 139.8 GiB". */
        public String model() {
            return String.format(Locale.ROOT, "%s, %.1f GiB", name, totalBytes / (double) (1L << 30));
        }

        /** The label plus compute capability and bf16 support. */
        public String describe() {
            String capabilityText = capability < 0 ? "unknown" : capability / 10 + "." + capability % 10;
            return label() + ", compute capability " + capabilityText + ", bf16 " + (bf16() ? "yes" : "no");
        }
    }

    /** Asks libtorch (and the CUDA runtime it loaded) now; loads the PyTorch engine if needed. */
    public static CudaInventory probe() {
        LibtorchBuild libtorch = LibtorchBuild.current();
        if (!libtorch.cuda()) {
            return new CudaInventory(libtorch, List.of(), "this libtorch is a CPU build (" + libtorch.folder()
                    + "); a GPU needs libtorch for CUDA, chosen with PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and "
                    + "PYTORCH_FLAVOR (docs/gpu.md); " + NvidiaDriver.describe());
        }
        LibtorchCuda.Count count = LibtorchCuda.deviceCount();
        Optional<CudaRuntime> runtime = CudaRuntime.of(libtorch);
        if (count.devices() <= 0) {
            String libtorchSays = count.devices() < 0 ? "libtorch cannot count CUDA devices (" + count.error() + ")"
                    : "libtorch sees no CUDA device";
            return new CudaInventory(libtorch, List.of(), libtorchSays + ": " + runtimeReason(runtime));
        }
        List<Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < count.devices(); i++) {
            gpus.add(runtime.map(r -> describe(r, gpus.size())).orElse(new Gpu(gpus.size(), "unknown", 0, -1)));
        }
        return new CudaInventory(libtorch, List.copyOf(gpus), null);
    }

    public int usableDevices() {
        return gpus.size();
    }

    private static Gpu describe(CudaRuntime runtime, int index) {
        long[] memory = runtime.memoryInfo(index);
        return new Gpu(index, runtime.deviceName(index), memory == null ? 0 : memory[1], runtime.capability(index));
    }

    /** What the CUDA runtime libtorch loaded says, with the driver's state and the device filter if one is set. */
    private static String runtimeReason(Optional<CudaRuntime> runtime) {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        String filter = visible == null ? "" : "; CUDA_VISIBLE_DEVICES is '" + visible + "'";
        if (runtime.isEmpty()) {
            return "no CUDA runtime (libcudart) is loaded; " + NvidiaDriver.describe() + filter;
        }
        CudaRuntime r = runtime.get();
        CudaRuntime.Answer count = r.deviceCount();
        String versions = "runtime " + cudaVersion(r.runtimeVersion()) + ", driver supports "
                + cudaVersion(r.driverVersion());
        String says = count.ok() ? "it counts " + count.value() + " device(s)"
                : count.error() + " (cudaError " + count.status() + ")";
        return "the CUDA runtime " + r.origin() + " says: " + says + " [" + versions + "]; " + NvidiaDriver.describe()
                + filter;
    }

    /** 12080 -> "CUDA 12.8"; a failed call or 0 -> "none". */
    static String cudaVersion(CudaRuntime.Answer version) {
        return !version.ok() || version.value() == 0 ? "none"
                : "CUDA " + version.value() / 1000 + "." + (version.value() % 1000) / 10;
    }
}
