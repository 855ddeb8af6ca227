package io.kubelora.trainer.device;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a command was asked to compute, and why, before anything checks that it can: the CPU, or CUDA devices
 * {@code cudaIndex} to {@code cudaIndex + replicas - 1} on a machine that must have at least {@code gpusNeeded}
 * usable devices. A training run puts one data-parallel replica on each device (on the CPU, {@code replicas}
 * threads share the cores).
 *
 * @param cudaIndex  the (first) CUDA device to compute on, -1 for the CPU
 * @param gpusNeeded usable CUDA devices the request needs (0 for the CPU)
 * @param replicas   data-parallel replicas: one per GPU from {@code cudaIndex} on, or that many on the CPU
 * @param because    why this device, for the log: "resources.gpus is 1", "--device cuda:1"
 * @param otherwise  what the user can do when no GPU can be used, e.g. "pass --device cpu"
 */
public record DeviceRequest(int cudaIndex, int gpusNeeded, int replicas, String because, String otherwise) {

    private static final Pattern DEVICE = Pattern.compile("cpu|cuda(?::(\\d{1,3}))?");

    public DeviceRequest {
        if (replicas < 1 || cudaIndex < -1 || gpusNeeded < (cudaIndex < 0 ? 0 : cudaIndex + replicas)
                || (cudaIndex < 0 && gpusNeeded > 0)) {
            throw new IllegalArgumentException("inconsistent device request: cuda index " + cudaIndex + ", "
                    + gpusNeeded + " GPU(s), " + replicas + " replica(s)");
        }
    }

    public static DeviceRequest cpu(String because) {
        return new DeviceRequest(-1, 0, 1, because, "");
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
        return new DeviceRequest(index, index + 1, 1, because, otherwise);
    }

    /** The value of a --device option, or its default when the option was not given (the reason says which). */
    public static DeviceRequest option(String value, String defaultValue, String otherwise) {
        if (value != null) {
            return parse(value, "--device", otherwise);
        }
        DeviceRequest request = parse(defaultValue, "--device", otherwise);
        return new DeviceRequest(request.cudaIndex, request.gpusNeeded, 1, request.because + " (the default)", otherwise);
    }

    /** A run given {@code gpus} GPUs: the CPU for 0, else one replica on each, all of them usable. */
    public static DeviceRequest gpus(int gpus, String because, String otherwise) {
        if (gpus < 0) {
            throw new IllegalArgumentException("a GPU count cannot be negative, got " + gpus);
        }
        return gpus == 0 ? cpu(because) : new DeviceRequest(0, gpus, gpus, because, otherwise);
    }

    /**
     * This request with {@code count} replicas ({@code --replicas}): that many threads on the CPU, or one per GPU
     * from the first device on (which then all have to be usable).
     */
    public DeviceRequest withReplicas(int count, String why) {
        if (count < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1, got " + count);
        }
        int needed = wantsGpu() ? Math.max(gpusNeeded, cudaIndex + count) : 0;
        return new DeviceRequest(cudaIndex, needed, count, because + ", " + why, otherwise);
    }

    public boolean wantsGpu() {
        return cudaIndex >= 0;
    }

    /** "cpu", "cuda:0", "cuda:0 to cuda:3". */
    public String deviceName() {
        if (!wantsGpu()) {
            return "cpu";
        }
        return "cuda:" + cudaIndex + (replicas > 1 ? " to cuda:" + (cudaIndex + replicas - 1) : "");
    }
}
