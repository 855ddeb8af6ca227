package io.kubelora.operator.progress;

import io.kubelora.api.Progress;

/**
 * One read of a trainer's metrics: its progress (without lastUpdateTime, which the status function sets
 * when the values change) and whether it is merging the adapter into the base weights.
 */
public record TrainerSnapshot(Progress progress, boolean merging) {
}
