package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.trainer.model.LinearWeights;
import java.util.List;

/**
 * What a run knows as its first step is about to run.
 *
 * @param stepsDone  optimizer steps already done (a resumed run's checkpoint step, else 0)
 * @param totalSteps optimizer steps of the whole run
 * @param devices    where the replicas compute, one device each
 * @param linears    how the decoder linears' frozen weights are held (fp32, bf16, nf4) and what they take
 */
public record RunStart(int stepsDone, int totalSteps, List<Device> devices, LinearWeights linears) {

    public RunStart {
        devices = List.copyOf(devices);
    }

    /** A run of one replica on {@code device}. */
    public RunStart(int stepsDone, int totalSteps, Device device, LinearWeights linears) {
        this(stepsDone, totalSteps, List.of(device), linears);
    }
}
