package io.kubelora.trainer.storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Maps the local forms of a storage URI to a path: {@code pvc://claim/path} under the mounted claims root,
 * {@code file:///abs}, and plain paths (relative ones against a base folder, e.g. the spec file's folder).
 */
final class LocalPaths {

    static final String PVC = "pvc://";
    static final String FILE = "file://";

    private final Path baseDir;
    private final Path pvcRoot;

    LocalPaths(Path baseDir, Path pvcRoot) {
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.pvcRoot = pvcRoot.toAbsolutePath().normalize();
    }

    static boolean isLocal(String uri) {
        return !uri.contains("://") || uri.startsWith(PVC) || uri.startsWith(FILE);
    }

    Path toPath(String uri) {
        if (uri.startsWith(PVC)) {
            return pvcPath(uri);
        }
        if (uri.startsWith(FILE)) {
            return filePath(uri);
        }
        if (uri.contains("://")) {
            throw new StorageException("'" + uri + "' is not a local path");
        }
        return baseDir.resolve(uri).normalize();
    }

    private Path pvcPath(String uri) {
        String rest = uri.substring(PVC.length());
        int slash = rest.indexOf('/');
        String claim = slash < 0 ? rest : rest.substring(0, slash);
        String inside = slash < 0 ? "" : rest.substring(slash + 1);
        if (claim.isEmpty() || claim.equals(".") || claim.equals("..")) {
            throw new StorageException("'" + uri + "' names no claim: use pvc://<claim>/<path>");
        }
        Path claimRoot = pvcRoot.resolve(claim);
        Path path = claimRoot.resolve(inside).normalize();
        if (!path.startsWith(claimRoot)) {
            throw new StorageException("'" + uri + "' leaves its claim's folder (" + claimRoot + ")");
        }
        return path;
    }

    private static Path filePath(String uri) {
        String rest = uri.substring(FILE.length());
        if (!rest.startsWith("/")) {
            throw new StorageException("'" + uri + "' must be file:///<absolute path> (or a plain path)");
        }
        try {
            return Path.of(new URI(uri)).normalize();
        } catch (URISyntaxException | IllegalArgumentException e) {
            // not percent-encoded (spaces and the like): take the text as the path itself
            return Path.of(rest).normalize();
        }
    }
}
