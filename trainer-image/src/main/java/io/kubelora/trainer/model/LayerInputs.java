package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer inputs activation checkpointing keeps from the forward pass until each layer is recomputed in backward:
 * in the compute precision (bf16 with bf16 compute: half the bytes of the fp32 residual stream), on the device or,
 * offloaded, in host memory (pinned on a GPU, copied asynchronously both ways). With bf16 the layer itself runs on
 * the rounded value, so its recomputation sees exactly the same input. Counts the bytes it holds on either side.
 */
final class LayerInputs implements AutoCloseable {

    private final Kernels kernels;
    private final boolean onHost;
    private final List<NDArray> kept = new ArrayList<>();
    private long deviceBytes;
    private long hostBytes;
    private long peakDeviceBytes;
    private long peakHostBytes;

    LayerInputs(Kernels kernels, boolean onHost) {
        this.kernels = kernels;
        this.onHost = onHost;
    }

    /** Keeps x [B, T, D] as the next layer's input and returns the value that layer must run on. */
    NDArray keep(NDArray x, StepContext s) {
        long bytes = x.size() * kernels.heldBytesPerElement();
        if (!onHost && !kernels.bf16()) {
            kept.add(x);                                                               // fp32 on the device: x itself
            count(bytes, 0);
            return x;
        }
        kept.add(kernels.stash(x, onHost));                                            // [B, T, D] held precision
        count(onHost ? 0 : bytes, onHost ? bytes : 0);
        if (!kernels.bf16()) {
            return x;
        }
        NDArray rounded = kernels.round(x);
        x.close();
        return rounded;
    }

    /** Whether {@code x} itself is kept (the caller must then not close it). */
    boolean holds(NDArray x) {
        return kept.stream().anyMatch(k -> k == x);
    }

    /** Layer {@code i}'s input as fp32 on the device for reading, while it stays kept; the caller closes it. */
    NDArray peek(int i, StepContext s) {
        NDArray k = kept.get(i);
        if (!onHost && !kernels.bf16()) {
            return k.reshape(k.getShape());                                            // another handle, same data
        }
        return kernels.unstash(k, s.onDevice());                                       // [B, T, D] fp32
    }

    /** Layer {@code i}'s input as fp32 on the device, handed to the caller; the kept copy is released. */
    NDArray restore(int i, StepContext s) {
        NDArray k = kept.set(i, null);
        long bytes = k.size() * kernels.heldBytesPerElement();
        count(onHost ? 0 : -bytes, onHost ? -bytes : 0);
        if (!onHost && !kernels.bf16()) {
            return k;
        }
        try (k) {
            return kernels.unstash(k, s.onDevice());                                   // [B, T, D] fp32
        }
    }

    /** The most bytes held at once on the device and on the host. */
    KeptBytes peak() {
        return new KeptBytes(peakDeviceBytes, peakHostBytes);
    }

    private void count(long device, long host) {
        deviceBytes += device;
        hostBytes += host;
        peakDeviceBytes = Math.max(peakDeviceBytes, deviceBytes);
        peakHostBytes = Math.max(peakHostBytes, hostBytes);
    }

    @Override
    public void close() {
        kept.stream().filter(k -> k != null).forEach(NDArray::close);
        kept.clear();
    }

    /**
     * Bytes of layer inputs held at once by a checkpointed forward and backward.
     *
     * @param device on the compute device
     * @param host   offloaded to host memory
     */
    public record KeptBytes(long device, long host) {
    }
}
