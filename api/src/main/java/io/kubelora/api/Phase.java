package io.kubelora.api;

/** Lifecycle of a LoraFineTune run. */
public enum Phase {
    Pending, Running, Merging, Succeeded, Failed, Suspended;

    public boolean isFinal() {
        return this == Succeeded || this == Failed;
    }
}
