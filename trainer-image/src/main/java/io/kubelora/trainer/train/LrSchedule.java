package io.kubelora.trainer.train;

import io.kubelora.api.LrScheduler;

/**
 * Learning rate per optimizer step: linear warmup from 0, then cosine or linear decay to 0, or constant
 * (the schedules of Hugging Face's get_*_schedule_with_warmup, so a config behaves as users know it).
 *
 * @param peak        learning rate after warmup
 * @param warmupSteps steps of linear warmup
 * @param totalSteps  optimizer steps of the whole run
 */
public record LrSchedule(LrScheduler type, double peak, int warmupSteps, int totalSteps) {

    /** Warmup takes ceil(ratio * total) steps, as in transformers' TrainingArguments. */
    public static LrSchedule of(LrScheduler type, double peak, double warmupRatio, int totalSteps) {
        return new LrSchedule(type, peak, (int) Math.ceil(warmupRatio * totalSteps), totalSteps);
    }

    /** The learning rate of the optimizer step with 0-based index {@code step}. */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        double decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = (step - warmupSteps) / decaySteps;
        return switch (type) {
            case CONSTANT -> peak;
            case LINEAR -> peak * Math.max(0.0, 1.0 - progress);
            case COSINE -> peak * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }
}
