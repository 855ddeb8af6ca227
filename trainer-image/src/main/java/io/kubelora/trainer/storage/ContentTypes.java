package io.kubelora.trainer.storage;

/** Content types for the files the trainer writes, so browsers and consoles show them sensibly. */
final class ContentTypes {

    private ContentTypes() {
    }

    static String of(String name) {
        if (name.endsWith(".json")) {
            return "application/json";
        }
        if (name.endsWith(".jsonl")) {
            return "application/x-ndjson";
        }
        if (name.endsWith(".txt") || name.endsWith(".md") || name.endsWith(".yaml") || name.endsWith(".yml")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
