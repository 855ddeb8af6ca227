package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One answer of the model while it trains: a line of samples.jsonl.
 *
 * @param step       optimizer steps done when it answered
 * @param prompt     the prompt exactly as the model saw it (the template applied)
 * @param completion the model's greedy answer, without its stop token
 * @param question   what was asked, in short (for the log; not written)
 */
public record Sample(@JsonProperty("step") int step, @JsonProperty("prompt") String prompt,
                     @JsonProperty("completion") String completion, @JsonIgnore String question) {
}
