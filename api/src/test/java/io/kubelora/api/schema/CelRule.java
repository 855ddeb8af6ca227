package io.kubelora.api.schema;

/**
 * One {@code x-kubernetes-validations} entry of the CRD: the CEL expression, its message, and the path of the
 * object it is attached to ({@code spec.lora}, or {@code spec.list[]} for the items of an array).
 */
public record CelRule(String path, String rule, String message) {

    @Override
    public String toString() {
        return path + ": " + message;
    }
}
