package io.kubelora.trainer.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/**
 * Model folders and dataset files from the Hugging Face Hub, kept in a cache laid out as
 * {@code <cache>/hf/<models|datasets>/<org>--<repo>/snapshots/<commit>/<file>}: a file under a commit never
 * changes, so one that is there (it was checked when it arrived) is used without asking the hub again.
 * {@code refs/<revision>} records the commit a branch or tag pointed to, so that with HF_HUB_OFFLINE=1 a run
 * uses what an earlier run fetched without any network call.
 */
final class HfStore implements Store {

    static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    /** What a trainer needs of a model repository; .bin, .pt, .gguf and ONNX copies of the weights are skipped. */
    private static final Pattern MODEL_FILES = Pattern.compile(
            "config\\.json|generation_config\\.json|tokenizer[^/]*\\.json|special_tokens_map\\.json"
                    + "|model\\.safetensors\\.index\\.json|[^/]+\\.safetensors");

    private static final int PARALLEL_FILES = 4;

    private final HfHub hub;
    private final Path cacheRoot;
    private final boolean offline;

    HfStore(HfHub hub, Path cacheRoot, boolean offline) {
        this.hub = hub;
        this.cacheRoot = cacheRoot.resolve("hf");
        this.offline = offline;
    }

    static HfStore fromEnvironment(Map<String, String> env, Path cacheRoot) {
        String endpointText = firstSet(env, "HF_ENDPOINT");
        URI endpoint;
        try {
            endpoint = URI.create(endpointText == null ? DEFAULT_ENDPOINT : endpointText.replaceAll("/+$", ""));
            if (endpoint.getHost() == null || !(endpoint.getScheme().equals("http")
                    || endpoint.getScheme().equals("https"))) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new StorageException("HF_ENDPOINT must be an http(s) URL like " + DEFAULT_ENDPOINT + ", was '"
                    + endpointText + "'", e);
        }
        String token = firstSet(env, "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN");
        String offline = firstSet(env, "HF_HUB_OFFLINE");
        boolean isOffline = offline != null && (offline.trim().equals("1") || offline.trim().equalsIgnoreCase("true"));
        return new HfStore(new HfHub(endpoint, token == null ? null : token.trim()), cacheRoot, isOffline);
    }

    /** A model repository, {@code hf://org/repo[@revision]}, in a local folder. */
    @Override
    public Path fetchDirectory(String uri) {
        return fetchModel(HfLocation.parse(uri));
    }

    /** A file of a repository, e.g. {@code hf://datasets/org/repo[@revision]/train.jsonl}, in the cache. */
    @Override
    public Path fetchFile(String uri) {
        return fetchFile(HfLocation.parse(uri));
    }

    @Override
    public Publication publish(String folderUri, String name) {
        throw readOnly(folderUri);
    }

    @Override
    public List<String> list(String folderUri) {
        throw new StorageException("listing " + folderUri + " is not supported: hf:// URIs name models and dataset"
                + " files");
    }

    @Override
    public void uploadDirectory(Path localDir, String folderUri) {
        throw readOnly(folderUri);
    }

    @Override
    public void downloadDirectory(String folderUri, Path localDir) {
        LocalFiles.copyTree(fetchDirectory(folderUri), localDir);
    }

    @Override
    public Map<String, Long> files(String folderUri) {
        throw new StorageException("listing " + folderUri + " is not supported: hf:// URIs name models and dataset"
                + " files");
    }

    @Override
    public void deleteFiles(String folderUri, Collection<String> relativePaths) {
        throw readOnly(folderUri);
    }

    @Override
    public void deleteEmptyFolder(String folderUri) {
        throw readOnly(folderUri);
    }

    @Override
    public void writeString(String fileUri, String content) {
        throw readOnly(fileUri);
    }

    @Override
    public String readString(String fileUri) throws IOException {
        return Files.readString(fetchFile(fileUri));
    }

    private static StorageException readOnly(String uri) {
        return new StorageException("cannot write to " + uri + " here: hf:// is only read by this operation; write"
                + " to s3://, pvc:// or a local path");
    }

    static boolean isModelFile(String path) {
        return MODEL_FILES.matcher(path).matches();
    }

    /** The model files of the repository at its revision, in a local folder. */
    Path fetchModel(HfLocation repo) {
        if (!repo.path().isEmpty()) {
            throw new StorageException("'" + repo + "' names a file; a model is a repository: hf://<org>/<repo>"
                    + "[@revision]");
        }
        if (offline) {
            return cachedSnapshot(repo);
        }
        HfHub.Snapshot snapshot = hub.snapshot(repo);
        List<String> wanted = snapshot.files().stream().filter(HfStore::isModelFile).sorted().toList();
        if (!wanted.contains("config.json")) {
            throw new StorageException(repo + " has no config.json at its top level: it is not a transformers model"
                    + " repository");
        }
        if (wanted.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
            throw new StorageException(repo + " has no .safetensors weights (only " + snapshot.files().stream()
                    .filter(f -> f.matches(".*\\.(bin|pt|pth|gguf|onnx)")).toList()
                    + "): pick a revision or repository that ships safetensors");
        }
        Path snapshotDir = snapshotDir(repo, snapshot.commit());
        // Runs sharing the cache: the first downloads, the others wait and find the files there.
        try (CacheLock lock = CacheLock.acquire(cacheRoot, snapshotDir)) {
            List<String> missing = wanted.stream().filter(f -> !Files.isRegularFile(snapshotDir.resolve(f))).toList();
            if (!missing.isEmpty()) {
                downloadAll(repo, snapshot.commit(), missing, snapshotDir);
            }
            writeRef(repo, snapshot.commit());
        }
        return snapshotDir;
    }

    /** Downloads several files at once (sharded weights), each pinned to the listed commit. */
    private void downloadAll(HfLocation repo, String commit, List<String> files, Path snapshotDir) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL_FILES, files.size()));
        try {
            List<Future<?>> downloads = new ArrayList<>();
            for (String file : files) {
                HfLocation pinned = new HfLocation(repo.dataset(), repo.repoId(), commit, file);
                downloads.add(pool.submit(() -> hub.download(pinned, hub.fileInfo(pinned),
                        snapshotDir.resolve(file))));
            }
            for (Future<?> download : downloads) {
                try {
                    download.get();
                } catch (ExecutionException e) {
                    downloads.forEach(d -> d.cancel(true));
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new StorageException("downloading " + repo + " failed: " + e.getCause(), e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while downloading " + repo, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** With HF_HUB_OFFLINE set: the snapshot an earlier online run fetched for this revision. */
    private Path cachedSnapshot(HfLocation repo) {
        String commit = repo.revision().matches("[0-9a-f]{40}") ? repo.revision() : readRef(repo);
        Path dir = commit == null ? null : snapshotDir(repo, commit);
        if (dir == null || !Files.isRegularFile(dir.resolve("config.json"))) {
            throw new StorageException("HF_HUB_OFFLINE is set but " + repo + " is not in the cache under "
                    + repoDir(repo) + ": fetch it once with the hub reachable (same KUBELORA_CACHE_DIR)");
        }
        return dir;
    }

    private Path refFile(HfLocation repo) {
        return repoDir(repo).resolve("refs").resolve(HfHub.encodeSegment(repo.revision()));
    }

    private String readRef(HfLocation repo) {
        try {
            Path ref = refFile(repo);
            return Files.isRegularFile(ref) ? Files.readString(ref).trim() : null;
        } catch (java.io.IOException e) {
            throw new StorageException("cannot read the cached revision of " + repo + ": " + e.getMessage(), e);
        }
    }

    private void writeRef(HfLocation repo, String commit) {
        if (!commit.equals(repo.revision())) {
            LocalFiles.writeStringAtomically(refFile(repo), commit);
        }
    }

    /** One file of a repository (typically a dataset's .jsonl), in the cache. */
    Path fetchFile(HfLocation file) {
        if (file.path().isEmpty()) {
            throw new StorageException("'" + file + "' names no file: use hf://datasets/<org>/<repo>[@revision]/"
                    + "<path>");
        }
        if (offline) {
            String commit = file.revision().matches("[0-9a-f]{40}") ? file.revision() : readRef(file);
            Path cached = snapshotDir(file, commit != null ? commit : file.revision())
                    .resolve(file.path());
            if (!Files.isRegularFile(cached)) {
                throw new StorageException("HF_HUB_OFFLINE is set but " + file + " is not in the cache at " + cached);
            }
            return cached;
        }
        HfHub.FileInfo info = hub.fileInfo(file);
        String commit = info.commit() != null && info.commit().matches("[0-9a-f]{40}") ? info.commit() : null;
        Path target = snapshotDir(file, commit != null ? commit : file.revision())
                .resolve(file.path());
        try (CacheLock lock = CacheLock.acquire(cacheRoot, target)) {
            if (commit != null && Files.isRegularFile(target)) {
                return target;
            }
            HfLocation pinned = commit == null ? file
                    : new HfLocation(file.dataset(), file.repoId(), commit, file.path());
            hub.download(pinned, info, target);
            if (commit != null) {
                writeRef(file, commit);
            }
        }
        return target;
    }

    private Path repoDir(HfLocation repo) {
        return cacheRoot.resolve(repo.repoType()).resolve(repo.repoId().replace("/", "--"));
    }

    private Path snapshotDir(HfLocation repo, String commit) {
        Path dir = repoDir(repo).resolve("snapshots").resolve(HfHub.encodeSegment(commit)).normalize();
        if (!dir.startsWith(cacheRoot)) {
            throw new StorageException(repo + " would be cached outside " + cacheRoot);
        }
        return dir;
    }

    private static String firstSet(Map<String, String> env, String... names) {
        for (String name : names) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
