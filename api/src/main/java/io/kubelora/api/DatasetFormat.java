package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How each JSONL record of a dataset is read. */
public enum DatasetFormat {
    /** {@code instruction}, optional {@code input}, {@code output}; loss on the output. */
    @JsonProperty("alpaca") ALPACA,
    /** {@code instruction}, optional {@code context}, {@code response} (Databricks Dolly); loss on the response. */
    @JsonProperty("dolly") DOLLY,
    /** {@code messages} of {role, content}; loss on the assistant turns. */
    @JsonProperty("chat") CHAT,
    /** {@code conversations} of {from, value} (system, human, gpt); loss on the gpt turns. */
    @JsonProperty("sharegpt") SHAREGPT,
    /** {@code text}; loss on every token. */
    @JsonProperty("text") TEXT,
    /** Detected from the first record. */
    @JsonProperty("auto") AUTO
}
