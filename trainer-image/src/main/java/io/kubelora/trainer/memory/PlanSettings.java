package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.ModelOptions;
import java.util.List;
import java.util.Objects;

/**
 * What a run does, as far as memory goes: how the model is loaded (device kind, precision, NF4, checkpointing,
 * offloading, chunk sizes), the LoRA adapters, the micro-batch, where the optimizer state lives, and how many
 * data-parallel replicas (one per GPU) the run has.
 *
 * @param options                   the model's load options (only the device's kind matters, not which one)
 * @param loraRank                  r
 * @param loraModules               the adapted decoder linears, e.g. q_proj
 * @param loraDropout               dropout on the adapter inputs (a dropped copy of each input is kept for backward)
 * @param batchSize                 sequences per micro-batch
 * @param seqLength                 tokens per sequence (dataset.maxSeqLength: the longest a batch can be)
 * @param gradientAccumulationSteps micro-batches per optimizer step (no memory; advice keeps the effective batch)
 * @param optimizerOffload          AdamW moments and master weights in host memory
 * @param replicas                  data-parallel replicas, one per GPU
 */
public record PlanSettings(ModelOptions options, int loraRank, List<String> loraModules, double loraDropout,
                           int batchSize, int seqLength, int gradientAccumulationSteps, boolean optimizerOffload,
                           int replicas) {

    public PlanSettings {
        Objects.requireNonNull(options, "options");
        loraModules = List.copyOf(loraModules);
        if (loraRank < 1 || batchSize < 1 || seqLength < 1 || gradientAccumulationSteps < 1 || replicas < 1) {
            throw new IllegalArgumentException("rank, batch size, sequence length, accumulation steps and replicas "
                    + "must be positive");
        }
    }

    /** Whether the plan is for a GPU (otherwise the device is the host's memory). */
    public boolean gpu() {
        return options.device().isGpu();
    }

    /** Tokens per micro-batch, B * T. */
    public long tokens() {
        return (long) batchSize * seqLength;
    }

    public PlanSettings withOptions(ModelOptions newOptions) {
        return new PlanSettings(newOptions, loraRank, loraModules, loraDropout, batchSize, seqLength,
                gradientAccumulationSteps, optimizerOffload, replicas);
    }

    public PlanSettings withBatch(int newBatchSize, int newAccumulationSteps) {
        return new PlanSettings(options, loraRank, loraModules, loraDropout, newBatchSize, seqLength,
                newAccumulationSteps, optimizerOffload, replicas);
    }

    public PlanSettings withSeqLength(int newSeqLength) {
        return new PlanSettings(options, loraRank, loraModules, loraDropout, batchSize, newSeqLength,
                gradientAccumulationSteps, optimizerOffload, replicas);
    }

    public PlanSettings withOptimizerOffload(boolean enabled) {
        return new PlanSettings(options, loraRank, loraModules, loraDropout, batchSize, seqLength,
                gradientAccumulationSteps, enabled, replicas);
    }
}
