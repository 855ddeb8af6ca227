package io.kubelora.trainer.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The trainer's one door to storage: model folders, dataset files and results behind {@code s3://},
 * {@code hf://}, {@code pvc://}, {@code file://} URIs and plain local paths. Clients for remote stores are
 * made on first use, so a run on local paths needs no cloud settings. See the package documentation for the
 * environment variables and the atomic delivery rules.
 */
public final class Storage implements AutoCloseable {

    private final Map<String, String> env;
    private final LocalPaths localPaths;
    private final Path cacheRoot;
    private S3Store s3;
    private HfStore hf;

    private Storage(Map<String, String> env, Path baseDir) {
        this.env = Map.copyOf(env);
        Path pvcRoot = Path.of(value("KUBELORA_PVC_ROOT", "/mnt/pvc"));
        this.localPaths = new LocalPaths(baseDir, pvcRoot);
        String home = value("HOME", System.getProperty("user.home"));
        // A shared model cache (a volume of every training pod) when there is one, else the run's own cache.
        String cache = value("KUBELORA_MODEL_CACHE_DIR",
                value("KUBELORA_CACHE_DIR", Path.of(home, ".cache", "kubelora").toString()));
        this.cacheRoot = Path.of(cache).toAbsolutePath().normalize();
    }

    /**
     * @param env     the environment to read settings and credentials from (usually {@code System.getenv()})
     * @param baseDir the folder relative local paths are resolved against (e.g. the spec file's folder)
     */
    public static Storage fromEnvironment(Map<String, String> env, Path baseDir) {
        return new Storage(Objects.requireNonNull(env, "env"), Objects.requireNonNull(baseDir, "baseDir"));
    }

    /** A model folder: local paths as they are, remote folders downloaded into the cache. */
    public Path fetchDirectory(String uri) {
        return switch (scheme(uri)) {
            case LOCAL -> LocalStore.existingDirectory(localPaths.toPath(uri), uri);
            case S3 -> s3().fetchDirectory(S3Location.parse(uri));
            case HF -> hf().fetchModel(HfLocation.parse(uri));
        };
    }

    /** A single file such as a dataset: local paths as they are, remote files downloaded into the cache. */
    public Path fetchFile(String uri) {
        return switch (scheme(uri)) {
            case LOCAL -> LocalStore.existingFile(localPaths.toPath(uri), uri);
            case S3 -> s3().fetchFile(S3Location.parse(uri));
            case HF -> hf().fetchFile(HfLocation.parse(uri));
        };
    }

    /** Starts writing {@code <folderUri>/<name>} as one unit (see {@link Publication}). */
    public Publication publish(String folderUri, String name) {
        if (name == null || name.isBlank() || name.contains("/") || name.startsWith(".")
                || CompletionManifest.isReservedName(name)) {
            throw new IllegalArgumentException("publication name must be a plain folder name, was '" + name + "'");
        }
        String finalUri = resolve(folderUri, name);
        return switch (scheme(folderUri)) {
            case LOCAL -> new LocalPublication(localPaths.toPath(folderUri), name, finalUri);
            case S3 -> s3().publish(S3Location.parse(folderUri), name);
            case HF -> throw readOnly(folderUri);
        };
    }

    /** Names of the children of a folder (e.g. {@code step-100}), sorted; empty when it does not exist. */
    public List<String> list(String folderUri) {
        return switch (scheme(folderUri)) {
            case LOCAL -> LocalStore.list(localPaths.toPath(folderUri));
            case S3 -> s3().list(S3Location.parse(folderUri));
            case HF -> throw new StorageException("listing " + folderUri + " is not supported: hf:// URIs name models"
                    + " and dataset files");
        };
    }

    /** Copies a local folder to {@code folderUri}, file by file (no completeness marker: see publish). */
    public void uploadDirectory(Path localDir, String folderUri) {
        switch (scheme(folderUri)) {
            case LOCAL -> LocalStore.copyTree(localDir, localPaths.toPath(folderUri));
            case S3 -> s3().uploadDirectory(localDir, S3Location.parse(folderUri));
            case HF -> throw readOnly(folderUri);
        }
    }

    /** Copies every file under {@code folderUri} into {@code localDir} and returns it. */
    public Path downloadDirectory(String folderUri, Path localDir) {
        switch (scheme(folderUri)) {
            case LOCAL -> LocalStore.copyTree(LocalStore.existingDirectory(localPaths.toPath(folderUri), folderUri),
                    localDir);
            case S3 -> s3().downloadDirectory(S3Location.parse(folderUri), localDir);
            case HF -> LocalStore.copyTree(fetchDirectory(folderUri), localDir);
        }
        return localDir;
    }

    /** Deletes a folder and everything in it; deleting what is not there is no error. */
    public void delete(String folderUri) {
        switch (scheme(folderUri)) {
            case LOCAL -> {
                Path path = localPaths.toPath(folderUri);
                if (path.getParent() == null || path.equals(localPaths.toPath("."))) {
                    throw new StorageException("refusing to delete " + path + " (" + folderUri + ")");
                }
                LocalStore.deleteTree(path);
            }
            case S3 -> {
                S3Location folder = S3Location.parse(folderUri);
                if (folder.key().isEmpty()) {
                    throw new StorageException("refusing to delete a whole bucket (" + folderUri + ")");
                }
                s3().delete(folder);
            }
            case HF -> throw readOnly(folderUri);
        }
    }

    /** Writes a small text file (metrics, summaries) in one piece, replacing an older one. */
    public void writeString(String fileUri, String content) {
        switch (scheme(fileUri)) {
            case LOCAL -> LocalStore.writeStringAtomically(localPaths.toPath(fileUri), content);
            case S3 -> s3().writeString(S3Location.parse(fileUri), content);
            case HF -> throw readOnly(fileUri);
        }
    }

    /** Reads a small text file, e.g. a summary written by an earlier run. */
    public String readString(String fileUri) {
        try {
            return switch (scheme(fileUri)) {
                case LOCAL -> Files.readString(LocalStore.existingFile(localPaths.toPath(fileUri), fileUri));
                case S3 -> s3().readString(S3Location.parse(fileUri));
                case HF -> Files.readString(fetchFile(fileUri));
            };
        } catch (java.io.IOException e) {
            throw new StorageException("cannot read " + fileUri + ": " + e.getMessage(), e);
        }
    }

    /** {@code folderUri} joined with {@code child} by exactly one '/'. */
    public String resolve(String folderUri, String child) {
        return RelativePaths.join(folderUri, child);
    }

    /**
     * Publishes every file under {@code localDir} as {@code <folderUri>/<name>} in one unit and returns the
     * final URI; an incomplete publication is removed again if anything fails.
     */
    public String publishDirectory(String folderUri, String name, Path localDir) {
        LocalStore.existingDirectory(localDir, localDir.toString());
        try (Publication publication = publish(folderUri, name);
             java.util.stream.Stream<Path> walk = Files.walk(localDir)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                publication.addFile(RelativePaths.of(localDir, file), file);
            }
            return publication.commit();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new StorageException("cannot read " + localDir + " to publish it: " + e.getMessage(), e);
        }
    }

    /** True for plain paths, file:// and pvc:// URIs (what this machine can open directly). */
    public boolean isLocal(String uri) {
        return scheme(uri) == Scheme.LOCAL;
    }

    /** Where a local or pvc:// URI points on this machine. */
    public Path localPath(String uri) {
        if (scheme(uri) != Scheme.LOCAL) {
            throw new StorageException("'" + uri + "' is not a local path");
        }
        return localPaths.toPath(uri);
    }

    /** The folder remote models and datasets are cached in. */
    public Path cacheDir() {
        return cacheRoot;
    }

    @Override
    public synchronized void close() {
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
    }

    private synchronized S3Store s3() {
        if (s3 == null) {
            s3 = new S3Store(S3Settings.fromEnvironment(env), cacheRoot);
        }
        return s3;
    }

    private synchronized HfStore hf() {
        if (hf == null) {
            hf = HfStore.fromEnvironment(env, cacheRoot);
        }
        return hf;
    }

    private enum Scheme { LOCAL, S3, HF }

    private static Scheme scheme(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new StorageException("a storage URI or path is required");
        }
        if (uri.startsWith(S3Location.SCHEME)) {
            return Scheme.S3;
        }
        if (uri.startsWith(HfLocation.SCHEME)) {
            return Scheme.HF;
        }
        if (LocalPaths.isLocal(uri)) {
            return Scheme.LOCAL;
        }
        throw new StorageException("'" + uri + "' has an unsupported scheme: use s3://, hf://, pvc://, file:// or a"
                + " local path");
    }

    private static StorageException readOnly(String uri) {
        return new StorageException("cannot write to " + uri + " here: hf:// is only read by this operation; write"
                + " to s3://, pvc:// or a local path");
    }

    private String value(String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
