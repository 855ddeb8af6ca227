package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The totals of a finished run, written as summary.json. Tokens and tokens per second count every replica's; the
 * device is the first replica's, the others on the next GPUs (or sharing the CPU).
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
        @JsonProperty("replicas") int replicas) {
}
