package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The trainer's one door to storage: model folders, dataset files and results behind {@code s3://},
 * {@code hf://}, {@code pvc://}, {@code file://} URIs and plain local paths. Each URI's {@link Store} is chosen
 * once, from its scheme, and does the whole operation. Clients for remote stores are made on first use, so a run
 * on local paths needs no cloud settings. See the package documentation for the environment variables and the
 * atomic delivery rules.
 */
public final class Storage implements AutoCloseable {

    /** The file every Hugging Face model folder has. */
    private static final String MODEL_CONFIG = "config.json";

    private final Map<String, String> env;
    private final LocalStore local;
    private final Path cacheRoot;
    private S3Store s3;
    private HfStore hf;

    private Storage(Map<String, String> env, Path baseDir) {
        this.env = Map.copyOf(env);
        this.local = new LocalStore(new LocalPaths(baseDir, Path.of(value("KUBELORA_PVC_ROOT", "/mnt/pvc"))));
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
        return store(uri).fetchDirectory(uri);
    }

    /**
     * Where the config.json of the model folder {@code modelUri} is on this machine: in a local or mounted folder
     * (which must exist; whether the file does is for the caller to report), or downloaded alone into the cache from
     * a remote one, where {@link #fetchDirectory} finds it later. Lets a run report config problems and check its
     * memory plan before any weights are downloaded.
     */
    public Path fetchModelConfig(String modelUri) {
        if (isLocal(modelUri)) {
            return fetchDirectory(modelUri).resolve(MODEL_CONFIG);
        }
        String uri = RelativePaths.join(modelUri, MODEL_CONFIG);
        try {
            return fetchFile(uri);
        } catch (StorageException e) {
            throw new StorageException("cannot read the model's " + MODEL_CONFIG + " (" + uri + "): " + e.getMessage(),
                    e);
        }
    }

    /** A single file such as a dataset: local paths as they are, remote files downloaded into the cache. */
    public Path fetchFile(String uri) {
        return store(uri).fetchFile(uri);
    }

    /**
     * Starts writing {@code <folderUri>/<name>} as one unit (see {@link Publication}). A folder already there is
     * replaced only when KubeLoRA wrote all of it: one holding anything else is refused, naming the file.
     */
    public Publication publish(String folderUri, String name) {
        if (name == null || name.isBlank() || name.contains("/") || name.startsWith(".")
                || CompletionManifest.isReservedName(name)) {
            throw new IllegalArgumentException("publication name must be a plain folder name, was '" + name + "'");
        }
        String target = resolve(folderUri, name);
        folderProblem(target).ifPresent(problem -> {
            throw new StorageException("cannot publish " + target + ": " + problem);
        });
        List<String> foreign = foreignFiles(target);
        if (!foreign.isEmpty()) {
            throw new StorageException("refusing to replace " + target + ": it holds " + FolderOwnership.describe(
                    foreign) + ", which KubeLoRA did not write there; move " + (foreign.size() == 1 ? "it" : "them")
                    + " away or publish elsewhere");
        }
        return store(folderUri).publish(folderUri, name);
    }

    /**
     * The files under {@code folderUri} that KubeLoRA did not write there (see {@link FolderOwnership}), sorted;
     * empty when the folder is missing or wholly KubeLoRA's.
     */
    public List<String> foreignFiles(String folderUri) {
        Store store = store(folderUri);
        Map<String, Long> files = store.files(folderUri);
        return FolderOwnership.foreign(files, manifest(store, folderUri, files));
    }

    /**
     * Deletes what KubeLoRA published at {@code folderUri} (the manifest first, so no reader takes the rest for
     * complete) and returns the files it kept because KubeLoRA did not write them.
     */
    public List<String> deletePublished(String folderUri) {
        Store store = store(folderUri);
        Map<String, Long> files = store.files(folderUri);
        List<String> foreign = FolderOwnership.foreign(files, manifest(store, folderUri, files));
        List<String> own = new ArrayList<>();
        if (files.containsKey(CompletionManifest.COMPLETE) && !foreign.contains(CompletionManifest.COMPLETE)) {
            own.add(CompletionManifest.COMPLETE);
        }
        files.keySet().stream().filter(path -> !foreign.contains(path) && !own.contains(path)).forEach(own::add);
        store.deleteFiles(folderUri, own);
        store.deleteEmptyFolder(folderUri);
        return foreign;
    }

    /** Deletes the given files of a folder and the sub-folders this leaves empty; the folder itself stays. */
    public void deleteFiles(String folderUri, Collection<String> relativePaths) {
        store(folderUri).deleteFiles(folderUri, relativePaths);
    }

    /**
     * Why no folder can be written at {@code folderUri} (a local path that is a file, below a file, not writable, or
     * that the file system refuses to create), or empty when one can; object stores have no such problem.
     */
    public Optional<String> folderProblem(String folderUri) {
        return isLocal(folderUri) ? LocalFiles.folderProblem(localPath(folderUri)) : Optional.empty();
    }

    private static CompletionManifest manifest(Store store, String folderUri, Map<String, Long> files) {
        if (!files.containsKey(CompletionManifest.COMPLETE)) {
            return null;
        }
        String uri = RelativePaths.join(folderUri, CompletionManifest.COMPLETE);
        try {
            return CompletionManifest.parse(store.readString(uri), uri);
        } catch (IOException | StorageException e) {
            return null; // unreadable: nothing in the folder counts as KubeLoRA's
        }
    }

    /** Names of the children of a folder (e.g. {@code step-100}), sorted; empty when it does not exist. */
    public List<String> list(String folderUri) {
        return store(folderUri).list(folderUri);
    }

    /** Copies a local folder to {@code folderUri}, file by file (no completeness marker: see publish). */
    public void uploadDirectory(Path localDir, String folderUri) {
        store(folderUri).uploadDirectory(localDir, folderUri);
    }

    /** Copies every file under {@code folderUri} into {@code localDir} and returns it. */
    public Path downloadDirectory(String folderUri, Path localDir) {
        store(folderUri).downloadDirectory(folderUri, localDir);
        return localDir;
    }

    /** Writes a small text file (metrics, summaries) in one piece, replacing an older one. */
    public void writeString(String fileUri, String content) {
        store(fileUri).writeString(fileUri, content);
    }

    /** Reads a small text file, e.g. a summary written by an earlier run. */
    public String readString(String fileUri) {
        try {
            return store(fileUri).readString(fileUri);
        } catch (IOException e) {
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
        LocalFiles.existingDirectory(localDir, localDir.toString());
        try (Publication publication = publish(folderUri, name);
             Stream<Path> walk = Files.walk(localDir)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                publication.addFile(RelativePaths.of(localDir, file), file);
            }
            return publication.commit();
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot read " + localDir + " to publish it: " + e.getMessage(), e);
        }
    }

    /** True for plain paths, file:// and pvc:// URIs (what this machine can open directly). */
    public boolean isLocal(String uri) {
        return Scheme.of(uri) == Scheme.LOCAL;
    }

    /** Where a local or pvc:// URI points on this machine. */
    public Path localPath(String uri) {
        if (!isLocal(uri)) {
            throw new StorageException("'" + uri + "' is not a local path");
        }
        return local.toPath(uri);
    }

    @Override
    public synchronized void close() {
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
    }

    /** The store of {@code uri}'s scheme; remote clients are made on first use. */
    private Store store(String uri) {
        return switch (Scheme.of(uri)) {
            case LOCAL -> local;
            case S3 -> s3();
            case HF -> hf();
        };
    }

    private enum Scheme {
        LOCAL, S3, HF;

        static Scheme of(String uri) {
            if (uri == null || uri.isBlank()) {
                throw new StorageException("a storage URI or path is required");
            }
            if (uri.startsWith(S3Location.SCHEME)) {
                return S3;
            }
            if (uri.startsWith(HfLocation.SCHEME)) {
                return HF;
            }
            if (LocalPaths.isLocal(uri)) {
                return LOCAL;
            }
            throw new StorageException("'" + uri + "' has an unsupported scheme: use s3://, hf://, pvc://, file:// or"
                    + " a local path");
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

    private String value(String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
