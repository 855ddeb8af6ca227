package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the trainer does when the run's memory plan exceeds the GPU's memory, before downloading the weights. */
public enum MemoryCheck {
    /** Stop the run (reason WontFit) with the plan and the changes that would make it fit. */
    @JsonProperty("enforce") ENFORCE,
    /** Log the plan and the advice, and train anyway. */
    @JsonProperty("warn") WARN,
    /** Do not plan. */
    @JsonProperty("off") OFF
}
