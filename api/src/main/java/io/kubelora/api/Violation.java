package io.kubelora.api;

/** One thing wrong with a spec: the field's path (e.g. spec.lora.rank) and what is wrong with it. */
public record Violation(String field, String message) {

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
