package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How each JSONL record of a dataset is read. */
public enum DatasetFormat {
    /** {@code instruction}, optional {@code input}, {@code output}; loss on the output. */
    @JsonProperty("alpaca") ALPACA,
    /** {@code messages} of {role, content}; loss on the assistant turns. */
    @JsonProperty("chat") CHAT,
    /** {@code text}; loss on every token. */
    @JsonProperty("text") TEXT,
    /** Detected from the first record. */
    @JsonProperty("auto") AUTO
}
