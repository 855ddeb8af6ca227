package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The totals of a finished run, written as summary.json. Tokens and tokens per second count every replica's; the
 * device is the first replica's, the others on the next GPUs (or sharing the CPU). The memory figures: the planned
 * peak (per GPU on a GPU run), the measured one (the largest of the run's GPUs) and how it was measured, the bytes
 * held by the frozen weights (device and host), and for NF4 the bits held per quantized decoder-linear parameter.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSummary(
        @JsonProperty("steps") int steps,
        @JsonProperty("epochs") double epochs,
        @JsonProperty("final_loss") double finalLoss,
        @JsonProperty("final_eval_loss") Double finalEvalLoss,
        @JsonProperty("trained_tokens") long trainedTokens,
        @JsonProperty("loss_tokens") long lossTokens,
        @JsonProperty("wall_time_seconds") double wallTimeSeconds,
        @JsonProperty("tokens_per_second") double tokensPerSecond,
        @JsonProperty("peak_rss_bytes") long peakRssBytes,
        @JsonProperty("trainable_parameters") long trainableParameters,
        @JsonProperty("all_parameters") long allParameters,
        @JsonProperty("train_examples") int trainExamples,
        @JsonProperty("validation_examples") int validationExamples,
        @JsonProperty("skipped_examples") int skippedExamples,
        @JsonProperty("device") String device,
        @JsonProperty("replicas") int replicas,
        @JsonProperty("planned_peak_bytes") long plannedPeakBytes,
        @JsonProperty("measured_peak_bytes") long measuredPeakBytes,
        @JsonProperty("measured_peak") String measuredPeak,
        @JsonProperty("weight_bytes") long weightBytes,
        @JsonProperty("nf4_bits_per_parameter") Double nf4BitsPerParameter) {
}
