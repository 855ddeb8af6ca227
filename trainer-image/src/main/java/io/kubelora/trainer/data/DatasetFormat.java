package io.kubelora.trainer.data;

/** How each JSONL record of a dataset is read. */
public enum DatasetFormat {
    /** {@code instruction}, optional {@code input}, {@code output}; loss on the output. */
    ALPACA,
    /** {@code instruction}, optional {@code context}, {@code response} (Databricks Dolly); loss on the response. */
    DOLLY,
    /** {@code messages} of {role, content}; loss on the assistant turns. */
    CHAT,
    /** {@code conversations} of {from, value} (system, human, gpt); loss on the gpt turns. */
    SHAREGPT,
    /** {@code text}; loss on every token. */
    TEXT,
    /** Detected from the first record. */
    AUTO
}
