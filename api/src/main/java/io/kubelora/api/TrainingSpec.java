package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Optimizer (AdamW on the LoRA parameters), schedule, batching, precision and checkpoints. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.learningRate) || self.learningRate > 0.0",
        message = "spec.training.learningRate must be greater than 0")
@ValidationRule(value = "!has(self.offloadActivations) || !self.offloadActivations "
        + "|| !has(self.gradientCheckpointing) || self.gradientCheckpointing",
        message = "spec.training.offloadActivations needs spec.training.gradientCheckpointing")
public record TrainingSpec(
        @Min(1)
        @Max(1000)
        @JsonPropertyDescription("Passes over the training examples, 1 to 1000. Default 1. maxSteps, when set, "
                + "ends training earlier.")
        Integer epochs,

        @Min(1)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Optimizer steps to run; when set it overrides epochs.")
        Integer maxSteps,

        @Min(0.0)
        @Max(1.0)
        @JsonPropertyDescription("Peak learning rate of AdamW, greater than 0 and at most 1. Default 0.0002.")
        Double learningRate,

        @Min(1)
        @Max(4096)
        @JsonPropertyDescription("Sequences per micro-batch on each device (like Hugging Face's "
                + "per_device_train_batch_size), 1 to 4096. Default 4. A run with N GPUs trains one replica on each, "
                + "so a micro-batch holds batchSize * N sequences.")
        Integer batchSize,

        @Min(1)
        @Max(4096)
        @JsonPropertyDescription("Micro-batches whose gradients are summed before each optimizer step, "
                + "1 to 4096. Default 1. Effective batch = batchSize * gradientAccumulationSteps * replicas (the pod's "
                + "GPUs, or 1 on the CPU); steps per epoch and the schedule follow from it.")
        Integer gradientAccumulationSteps,

        @Min(0.0)
        @Max(1.0)
        @JsonPropertyDescription("Fraction of the steps spent warming the learning rate up linearly from 0, "
                + "0 to 1. Default 0.03.")
        Double warmupRatio,

        @JsonPropertyDescription("Learning-rate schedule after warmup: cosine, linear (both decay to 0) or "
                + "constant. Default cosine.")
        LrScheduler lrScheduler,

        @Min(0.0)
        @Max(1.0)
        @JsonPropertyDescription("AdamW decoupled weight decay, 0 to 1. Default 0.")
        Double weightDecay,

        @Min(0.0)
        @JsonPropertyDescription("Clip the global gradient norm to this value; 0 disables clipping. Default 1.0.")
        Double maxGradNorm,

        @JsonPropertyDescription("Seed of adapter initialization, dropout and data shuffling; the same seed "
                + "gives the same losses. Default 42.")
        Long seed,

        @JsonPropertyDescription("Compute precision: auto (bf16 on GPU, fp32 on CPU), fp32 or bf16. "
                + "Adapter weights and optimizer state are always fp32. Default auto.")
        Precision precision,

        @JsonPropertyDescription("Recompute each decoder layer's activations in the backward pass instead of "
                + "storing them: much less memory for about a third more compute. Default true.")
        Boolean gradientCheckpointing,

        @Min(1)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Log (and export as metrics) every this many optimizer steps. Default 10.")
        Integer logEverySteps,

        @Min(0)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Evaluate (loss, perplexity, next-token accuracy, sample answers) every this many "
                + "steps; needs validation data (dataset.validationSplit > 0 or dataset.validationUri). 0 evaluates "
                + "only at the end. Default 0.")
        Integer evalEverySteps,

        @Min(0)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Write a resumable checkpoint every this many optimizer steps; 0 disables "
                + "periodic checkpoints (one is still written on SIGTERM). Default 100.")
        Integer checkpointEverySteps,

        @Min(1)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Checkpoints kept under output/checkpoints; older ones are deleted. Default 2.")
        Integer checkpointsToKeep,

        @JsonPropertyDescription("auto: resume from the newest checkpoint of the same configuration in the "
                + "output, and a finished run is not trained again; never: start from step 0, deleting the "
                + "output's checkpoints and replacing its results. Default auto.")
        ResumePolicy resume,

        @JsonPropertyDescription("Stop training when the evaluation loss stops improving (needs validation data); "
                + "the run still succeeds, naming the reason. Default: off.")
        EarlyStoppingSpec earlyStopping,

        @JsonPropertyDescription("Deliver the adapter of the lowest evaluation loss instead of the last one: "
                + "adapter/ (and a merged model) hold the best evaluation's weights, whose checkpoint is kept until "
                + "the run ends. Default: true when there is validation data, else false.")
        Boolean keepBest,

        @JsonPropertyDescription("Before the weights are downloaded the trainer plans the run's GPU memory from the "
                + "model's config.json and compares it with the GPU's: enforce stops a run that cannot fit (status "
                + "reason WontFit, with the plan and the changes that would make it fit), warn logs them and trains "
                + "anyway, off skips the check. Default enforce.")
        MemoryCheck memoryCheck,

        @JsonPropertyDescription("Keep the layer inputs that gradient checkpointing saves in pinned host memory "
                + "instead of GPU memory, copied back layer by layer in the backward pass (needs "
                + "gradientCheckpointing; no effect on a CPU run). Default false.")
        Boolean offloadActivations,

        @JsonPropertyDescription("Keep the AdamW moments and the fp32 master copies of the adapter weights in "
                + "pinned host memory and run the optimizer step on the CPU, so optimizer state takes no GPU memory "
                + "(no effect on a CPU run). Default false.")
        Boolean optimizerOffload) {

    public TrainingSpec {
        epochs = epochs == null ? 1 : epochs;
        learningRate = learningRate == null ? 2e-4 : learningRate;
        batchSize = batchSize == null ? 4 : batchSize;
        gradientAccumulationSteps = gradientAccumulationSteps == null ? 1 : gradientAccumulationSteps;
        warmupRatio = warmupRatio == null ? 0.03 : warmupRatio;
        lrScheduler = lrScheduler == null ? LrScheduler.COSINE : lrScheduler;
        weightDecay = weightDecay == null ? 0.0 : weightDecay;
        maxGradNorm = maxGradNorm == null ? 1.0 : maxGradNorm;
        seed = seed == null ? 42L : seed;
        precision = precision == null ? Precision.AUTO : precision;
        gradientCheckpointing = gradientCheckpointing == null || gradientCheckpointing;
        logEverySteps = logEverySteps == null ? 10 : logEverySteps;
        evalEverySteps = evalEverySteps == null ? 0 : evalEverySteps;
        checkpointEverySteps = checkpointEverySteps == null ? 100 : checkpointEverySteps;
        checkpointsToKeep = checkpointsToKeep == null ? 2 : checkpointsToKeep;
        resume = resume == null ? ResumePolicy.AUTO : resume;
        memoryCheck = memoryCheck == null ? MemoryCheck.ENFORCE : memoryCheck;
        offloadActivations = offloadActivations != null && offloadActivations;
        optimizerOffload = optimizerOffload != null && optimizerOffload;
    }

    public static TrainingSpec defaults() {
        return new TrainingSpec(null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null);
    }
}
