package io.kubelora.trainer.storage;

import java.nio.file.Path;

/** Checks the slash-separated relative paths used inside published folders. */
final class RelativePaths {

    private RelativePaths() {
    }

    /** Returns {@code path} when it is a plain relative path; throws naming it otherwise. */
    static String require(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("a relative path is required");
        }
        if (path.startsWith("/") || path.contains("\\") || path.endsWith("/")) {
            throw new IllegalArgumentException("'" + path + "' must be a relative file path using '/'");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("'" + path + "' has an empty, '.' or '..' segment");
            }
        }
        if (CompletionManifest.isReservedName(path)) {
            throw new IllegalArgumentException("'" + path + "' is a name reserved for KubeLoRA's markers");
        }
        return path;
    }

    /** The relative path of {@code file} under {@code root}, with '/' separators. */
    static String of(Path root, Path file) {
        Path relative = root.relativize(file);
        StringBuilder out = new StringBuilder();
        for (Path part : relative) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(part);
        }
        return out.toString();
    }

    /** Joins a folder URI and a child name with exactly one '/'. */
    static String join(String folderUri, String child) {
        String trimmedChild = child.startsWith("/") ? child.substring(1) : child;
        for (String segment : trimmedChild.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new IllegalArgumentException("'" + child + "' must not contain '.' or '..' segments");
            }
        }
        return folderUri.endsWith("/") ? folderUri + trimmedChild : folderUri + "/" + trimmedChild;
    }
}
