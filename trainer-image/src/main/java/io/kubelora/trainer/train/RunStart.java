package io.kubelora.trainer.train;

import ai.djl.Device;
import java.util.List;

/**
 * What a run knows as its first step is about to run.
 *
 * @param stepsDone  optimizer steps already done (a resumed run's checkpoint step, else 0)
 * @param totalSteps optimizer steps of the whole run
 * @param devices    where the replicas compute, one device each
 */
public record RunStart(int stepsDone, int totalSteps, List<Device> devices) {

    public RunStart {
        devices = List.copyOf(devices);
    }

    /** A run of one replica on {@code device}. */
    public RunStart(int stepsDone, int totalSteps, Device device) {
        this(stepsDone, totalSteps, List.of(device));
    }
}
