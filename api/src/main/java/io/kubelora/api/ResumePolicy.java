package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the trainer does with checkpoints it finds in the output at start. */
public enum ResumePolicy {
    /** Resume from the newest complete checkpoint of the same configuration. */
    @JsonProperty("auto") AUTO,
    /** Ignore checkpoints and start from step 0. */
    @JsonProperty("never") NEVER
}
