package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * What the model is asked while it trains: prompts answered greedily at every evaluation and at the end. A prompt
 * is a string, or for chat data a list of {role, content} messages; its shape is checked by {@link SpecValidator}
 * (the schema cannot say "a string or a list").
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationSpec(
        @Size(max = SpecLimits.EVALUATION_PROMPTS)
        @JsonPropertyDescription("Prompts the model answers greedily at every evaluation and at the end, written to "
                + "samples.jsonl and the log: plain strings, or for chat data lists of {role, content} messages "
                + "ending with a user message. Each is formatted as the training data is (the alpaca template, or "
                + "the model's chat template). Default: the prompts of the first 3 validation examples.")
        List<JsonNode> prompts,

        @Min(1)
        @Max(4096)
        @JsonPropertyDescription("Most tokens generated per prompt, 1 to 4096. Default 64.")
        Integer maxNewTokens) {

    /** How many validation prompts are answered when no prompts are given. */
    public static final int DEFAULT_PROMPTS = 3;

    public EvaluationSpec {
        prompts = prompts == null ? null : List.copyOf(prompts);
        maxNewTokens = maxNewTokens == null ? 64 : maxNewTokens;
    }

    /** No prompts given (the first validation examples' are used), 64 tokens each. */
    public static EvaluationSpec defaults() {
        return new EvaluationSpec(null, null);
    }
}
