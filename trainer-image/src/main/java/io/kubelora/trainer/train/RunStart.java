package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.trainer.model.LinearWeights;

/**
 * What a run knows as its first step is about to run.
 *
 * @param stepsDone  optimizer steps already done (a resumed run's checkpoint step, else 0)
 * @param totalSteps optimizer steps of the whole run
 * @param device     where the model computes
 * @param linears    how the decoder linears' frozen weights are held (fp32, bf16, nf4) and what they take
 */
public record RunStart(int stepsDone, int totalSteps, Device device, LinearWeights linears) {
}
