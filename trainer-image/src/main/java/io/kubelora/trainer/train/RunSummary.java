package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The totals of a finished run, written as summary.json. A run resumed after an interruption counts every process
 * that worked on it ({@code processes}): tokens, times and peak resident memory cover the whole run (see
 * {@link RunTotals}). Tokens and tokens per second count every replica's; the device is the first replica's, the
 * others on the next GPUs (or sharing the CPU). The evaluation fields are absent without validation data. The memory
 * figures: the planned peak (per GPU on a GPU run), the measured one (the largest of the run's GPUs) and how it was
 * measured, the bytes held by the frozen weights (device and host), and for NF4 the bits held per quantized
 * decoder-linear parameter.
 *
 * @param adapterStep  the step whose adapter was delivered (the best evaluation's with training.keepBest)
 * @param stoppedEarly why early stopping ended training before its last step, or absent
 * @param samples      the delivered adapter's answers to the evaluation prompts
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSummary(
        @JsonProperty("steps") int steps,
        @JsonProperty("epochs") double epochs,
        @JsonProperty("final_loss") double finalLoss,
        @JsonProperty("final_eval_loss") Double finalEvalLoss,
        @JsonProperty("final_eval_perplexity") Double finalEvalPerplexity,
        @JsonProperty("final_eval_accuracy") Double finalEvalAccuracy,
        @JsonProperty("best_eval_loss") Double bestEvalLoss,
        @JsonProperty("best_step") Integer bestStep,
        @JsonProperty("adapter_step") int adapterStep,
        @JsonProperty("stopped_early") String stoppedEarly,
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
        @JsonProperty("processes") int processes,
        @JsonProperty("planned_peak_bytes") long plannedPeakBytes,
        @JsonProperty("measured_peak_bytes") long measuredPeakBytes,
        @JsonProperty("measured_peak") String measuredPeak,
        @JsonProperty("weight_bytes") long weightBytes,
        @JsonProperty("nf4_bits_per_parameter") Double nf4BitsPerParameter,
        @JsonProperty("prompt_template") String promptTemplate,
        @JsonProperty("samples") List<Sample> samples) {

    public RunSummary {
        samples = samples == null || samples.isEmpty() ? null : List.copyOf(samples);
    }
}
