package io.kubelora.api;

/** The schema pattern of storage URIs. */
final class SourcePatterns {

    /**
     * A supported scheme followed by a bucket, repository or claim (s3://, hf://, pvc://), file:///absolute,
     * or a plain local path. Which schemes a field accepts beyond that is checked by CEL rules and the
     * SpecValidator (e.g. hf:// only for reading and for merged models).
     */
    static final String STORAGE_URI = "^((s3|hf|pvc)://[^/].*|file:///.+|[^:]+)$";

    private SourcePatterns() {
    }
}
