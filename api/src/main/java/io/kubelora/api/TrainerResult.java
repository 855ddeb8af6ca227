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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainerResult(String adapterUri, String mergedModelUri, Double finalLoss, Long steps) {

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
