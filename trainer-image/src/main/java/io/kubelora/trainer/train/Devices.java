package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** The device a run computes on, chosen once by the caller and handed to the model. */
public final class Devices {

    private Devices() {
    }

    /** The first GPU when DJL finds one, otherwise the CPU. */
    public static Device preferred() {
        return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }
}
