package io.kubelora.api.docs;

/**
 * A generated part of a markdown file, between a start and an end comment line:
 * {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->}. What lies between them belongs to the generator;
 * the rest of the file is written by hand.
 */
record ReadmeSection(String name) {

    String startMarker() {
        return "<!-- " + name + ":start -->";
    }

    String endMarker() {
        return "<!-- " + name + ":end -->";
    }

    /** The text between the marker lines (each line ending with a line break). */
    String extract(String document) {
        int[] bounds = bounds(document);
        return document.substring(bounds[0], bounds[1]);
    }

    /** The document with the text between the marker lines replaced by {@code content}. */
    String replace(String document, String content) {
        int[] bounds = bounds(document);
        String body = content.isEmpty() || content.endsWith("\n") ? content : content + "\n";
        return document.substring(0, bounds[0]) + body + document.substring(bounds[1]);
    }

    /** Where the section's text begins (after the start line) and ends (where the end line begins). */
    private int[] bounds(String document) {
        int start = document.indexOf(startMarker());
        int end = document.indexOf(endMarker());
        if (start < 0 || end < 0 || document.indexOf(startMarker(), start + 1) >= 0
                || document.indexOf(endMarker(), end + 1) >= 0) {
            throw new IllegalArgumentException("expected exactly one line " + startMarker() + " and one line "
                    + endMarker() + " after it");
        }
        int bodyStart = document.indexOf('\n', start);
        int bodyEnd = document.lastIndexOf('\n', end) + 1;
        if (bodyStart < 0 || bodyStart >= end || !document.substring(bodyEnd, end).isBlank()) {
            throw new IllegalArgumentException(startMarker() + " and " + endMarker()
                    + " must be on lines of their own, in this order");
        }
        return new int[] {bodyStart + 1, bodyEnd};
    }
}
