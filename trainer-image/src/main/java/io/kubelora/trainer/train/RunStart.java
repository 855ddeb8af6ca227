package io.kubelora.trainer.train;

import ai.djl.Device;

/**
 * What a run knows as its first step is about to run.
 *
 * @param stepsDone  optimizer steps already done (a resumed run's checkpoint step, else 0)
 * @param totalSteps optimizer steps of the whole run
 * @param device     where the model computes
 */
public record RunStart(int stepsDone, int totalSteps, Device device) {
}
