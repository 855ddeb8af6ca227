package io.kubelora.trainer.device;

import java.util.stream.Collectors;

/**
 * GPUs were asked for and libtorch cannot use (enough of) them. Its message starts with GpuUnavailable, the
 * reason the operator shows, and says what libtorch saw and why.
 */
public final class GpuUnavailableException extends RuntimeException {

    /** The reason word, as the run's status and the termination message carry it. */
    public static final String REASON = "GpuUnavailable";

    public GpuUnavailableException(DeviceRequest request, CudaInventory seen) {
        super(message(request, seen));
    }

    private static String message(DeviceRequest request, CudaInventory seen) {
        String asked = request.gpusNeeded() == 1 ? "1 GPU" : request.gpusNeeded() + " GPUs";
        String saw = seen.usableDevices() == 0 ? "libtorch " + seen.libtorch().version() + " sees no usable CUDA device: "
                + seen.whyNone()
                : "libtorch " + seen.libtorch().version() + " sees " + seen.usableDevices() + " usable CUDA device(s): "
                + seen.gpus().stream().map(CudaInventory.Gpu::label).collect(Collectors.joining(", "));
        String hint = request.otherwise().isBlank() ? "" : ". " + capitalized(request.otherwise());
        String where = request.deviceName() + (request.replicas() > 1 ? ", one replica each" : "");
        return REASON + ": " + request.because() + " asks for " + asked + " (" + where + ") but " + saw + hint;
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
