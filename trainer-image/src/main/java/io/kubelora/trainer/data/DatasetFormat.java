package io.kubelora.trainer.data;

/** How each JSONL record of a dataset is read. */
public enum DatasetFormat {
    /** {@code instruction}, optional {@code input}, {@code output}; loss on the output. */
    ALPACA,
    /** {@code messages} of {role, content}; loss on the assistant turns. */
    CHAT,
    /** {@code text}; loss on every token. */
    TEXT,
    /** Detected from the first record. */
    AUTO
}
