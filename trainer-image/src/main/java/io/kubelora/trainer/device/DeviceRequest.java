package io.kubelora.trainer.device;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a command was asked to compute, and why, before anything checks that it can: the CPU, or CUDA device
 * {@code cudaIndex} on a machine that must have at least {@code gpusNeeded} usable devices.
 *
 * @param cudaIndex  the CUDA device to compute on, -1 for the CPU
 * @param gpusNeeded usable CUDA devices the request needs (0 for the CPU)
 * @param because    why this device, for the log: "resources.gpus is 1", "--device cuda:1"
 * @param otherwise  what the user can do when no GPU can be used, e.g. "pass --device cpu"
 */
public record DeviceRequest(int cudaIndex, int gpusNeeded, String because, String otherwise) {

    private static final Pattern DEVICE = Pattern.compile("cpu|cuda(?::(\\d{1,3}))?");

    public DeviceRequest {
        if (cudaIndex < -1 || gpusNeeded < (cudaIndex < 0 ? 0 : cudaIndex + 1)) {
            throw new IllegalArgumentException("inconsistent device request: cuda index " + cudaIndex + ", "
                    + gpusNeeded + " GPU(s)");
        }
    }

    public static DeviceRequest cpu(String because) {
        return new DeviceRequest(-1, 0, because, "");
    }

    /**
     * {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}, as given to the {@code option} named; anything else
     * is an error naming the option.
     */
    public static DeviceRequest parse(String text, String option, String otherwise) {
        Matcher m = DEVICE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " must be cpu, cuda or cuda:N, got '" + text + "'");
        }
        String because = option + " " + m.group();
        if (m.group().equals("cpu")) {
            return cpu(because);
        }
        int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        return new DeviceRequest(index, index + 1, because, otherwise);
    }

    /** The value of a --device option, or its default when the option was not given (the reason says which). */
    public static DeviceRequest option(String value, String defaultValue, String otherwise) {
        if (value != null) {
            return parse(value, "--device", otherwise);
        }
        DeviceRequest request = parse(defaultValue, "--device", otherwise);
        return new DeviceRequest(request.cudaIndex, request.gpusNeeded, request.because + " (the default)", otherwise);
    }

    /** A run given {@code gpus} GPUs: the CPU for 0, else CUDA device 0 of a machine with all of them usable. */
    public static DeviceRequest gpus(int gpus, String because, String otherwise) {
        if (gpus < 0) {
            throw new IllegalArgumentException("a GPU count cannot be negative, got " + gpus);
        }
        return gpus == 0 ? cpu(because) : new DeviceRequest(0, gpus, because, otherwise);
    }

    public boolean wantsGpu() {
        return cudaIndex >= 0;
    }

    /** "cpu", "cuda:0". */
    public String deviceName() {
        return wantsGpu() ? "cuda:" + cudaIndex : "cpu";
    }
}
