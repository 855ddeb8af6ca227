package io.kubelora.trainer.storage;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code hf://org/repo[@revision][/path]} (a model repository) or
 * {@code hf://datasets/org/repo[@revision]/path} (a file of a dataset repository). The revision is a branch,
 * tag or commit; one containing '/' is written percent-encoded ({@code @refs%2Fpr%2F1}).
 */
record HfLocation(boolean dataset, String repoId, String revision, String path) {

    static final String SCHEME = "hf://";
    static final String DEFAULT_REVISION = "main";

    static HfLocation parse(String uri) {
        if (!uri.startsWith(SCHEME)) {
            throw new StorageException("'" + uri + "' is not an hf:// URI");
        }
        String rest = uri.substring(SCHEME.length());
        boolean dataset = rest.startsWith("datasets/");
        if (dataset) {
            rest = rest.substring("datasets/".length());
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        String[] segments = rest.split("/", -1);
        if (rest.isEmpty() || segments[0].isEmpty()) {
            throw new StorageException("'" + uri + "' names no repository: use hf://<org>/<repo>[@revision]");
        }
        int repoSegments = segments.length == 1 ? 1 : 2;
        String last = segments[repoSegments - 1];
        String revision = DEFAULT_REVISION;
        int at = last.indexOf('@');
        if (at >= 0) {
            revision = URLDecoder.decode(last.substring(at + 1), StandardCharsets.UTF_8);
            last = last.substring(0, at);
            if (revision.isBlank()) {
                throw new StorageException("'" + uri + "' has an empty revision after '@'");
            }
        }
        if (last.isEmpty()) {
            throw new StorageException("'" + uri + "' has an empty repository name");
        }
        String repoId = repoSegments == 1 ? last : segments[0] + "/" + last;
        if (!repoId.matches("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")) {
            throw new StorageException("'" + uri + "': '" + repoId + "' is not a valid repository name (letters,"
                    + " digits, '-', '_' and '.')");
        }
        String path = String.join("/", java.util.Arrays.copyOfRange(segments, repoSegments, segments.length));
        if (!path.isEmpty()) {
            try {
                RelativePaths.require(path);
            } catch (IllegalArgumentException e) {
                throw new StorageException("'" + uri + "': " + e.getMessage(), e);
            }
        }
        return new HfLocation(dataset, repoId, revision, path);
    }

    /** "models" or "datasets", as in the hub's API paths. */
    String repoType() {
        return dataset ? "datasets" : "models";
    }

    String uri() {
        String base = SCHEME + (dataset ? "datasets/" : "") + repoId
                + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
        return path.isEmpty() ? base : base + "/" + path;
    }

    @Override
    public String toString() {
        return uri();
    }
}
