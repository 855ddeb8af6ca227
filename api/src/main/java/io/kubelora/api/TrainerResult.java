package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Optional;

/**
 * What a trainer that finished reports to the operator: one JSON line in the container's termination message,
 * {@code {"adapterUri": ..., "mergedModelUri": ..., "finalLoss": ..., "steps": ...}}. The trainer writes it with
 * {@link #toJson()}, the operator reads it with {@link #fromJson(String)} into the LoraFineTune status; the
 * component names are the JSON field names, so both sides share one spelling.
 *
 * @param adapterUri     where the complete PEFT adapter was published
 * @param mergedModelUri where the merged model was published, null without merge
 * @param finalLoss      training loss of the last logged step
 * @param steps          optimizer steps done
 * @param evalLoss       the last evaluation loss, null without validation data
 * @param bestEvalLoss   the lowest evaluation loss, null without validation data
 * @param bestStep       the step of the lowest evaluation loss, null without validation data
 * @param adapterStep    the step whose adapter was delivered (bestStep with training.keepBest), null: the last
 * @param stoppedEarly   why training stopped before its last step (early stopping), null when it did not
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainerResult(String adapterUri, String mergedModelUri, Double finalLoss, Long steps, Double evalLoss,
                            Double bestEvalLoss, Long bestStep, Long adapterStep, String stoppedEarly) {

    /** A result without evaluation: the adapter of the last step. */
    public static TrainerResult trained(String adapterUri, String mergedModelUri, Double finalLoss, Long steps) {
        return new TrainerResult(adapterUri, mergedModelUri, finalLoss, steps, null, null, null, null, null);
    }

    /**
     * One sentence for the status: where the adapter is, which step it is when that is not the last one, the best
     * evaluation loss, and why training stopped early.
     */
    public String describe() {
        StringBuilder s = new StringBuilder("training finished; adapter at ").append(adapterUri);
        if (adapterStep != null && steps != null && !adapterStep.equals(steps)) {
            s.append(" (the best evaluation, step ").append(adapterStep).append(" of ").append(steps).append(')');
        }
        if (bestEvalLoss != null && bestStep != null) {
            s.append(String.format(java.util.Locale.ROOT, "; best eval loss %.4f at step %d", bestEvalLoss, bestStep));
        }
        if (stoppedEarly != null) {
            s.append("; stopped early: ").append(stoppedEarly);
        }
        return s.toString();
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** The one-line JSON of this result. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the trainer result as JSON", e);
        }
    }

    /**
     * The result a termination message holds; empty for anything else (an error text, broken JSON, an object
     * without adapterUri). Never throws.
     */
    public static Optional<TrainerResult> fromJson(String message) {
        if (message == null || !message.strip().startsWith("{")) {
            return Optional.empty();
        }
        try {
            TrainerResult result = JSON.readValue(message.strip(), TrainerResult.class);
            return result == null || result.adapterUri() == null ? Optional.empty() : Optional.of(result);
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
