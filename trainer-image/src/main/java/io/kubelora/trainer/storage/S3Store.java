package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Folder operations on S3 and S3-compatible stores; keys below a prefix play the part of files. */
final class S3Store implements Store, AutoCloseable {

    private static final int DELETE_BATCH = 1000;

    private final S3Settings settings;
    private final S3Client s3;
    private final ExecutorService pool;
    private final S3Transfers transfers;
    private final Path cacheRoot;

    S3Store(S3Settings settings, Path cacheRoot) {
        this(settings, settings.newClient(), cacheRoot);
    }

    S3Store(S3Settings settings, S3Client client, Path cacheRoot) {
        this.settings = settings;
        this.s3 = client;
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, "kubelora-s3-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.transfers = new S3Transfers(s3, pool, settings);
        this.cacheRoot = cacheRoot.resolve("s3");
    }

    @Override
    public Path fetchDirectory(String uri) {
        return fetchDirectory(S3Location.parse(uri));
    }

    @Override
    public Path fetchFile(String uri) {
        return fetchFile(S3Location.parse(uri));
    }

    @Override
    public Publication publish(String folderUri, String name) {
        return publish(S3Location.parse(folderUri), name);
    }

    @Override
    public List<String> list(String folderUri) {
        return list(S3Location.parse(folderUri));
    }

    @Override
    public void uploadDirectory(Path localDir, String folderUri) {
        uploadDirectory(localDir, S3Location.parse(folderUri));
    }

    @Override
    public void downloadDirectory(String folderUri, Path localDir) {
        downloadDirectory(S3Location.parse(folderUri), localDir);
    }

    @Override
    public Map<String, Long> files(String folderUri) {
        S3Location folder = S3Location.parse(folderUri);
        Map<String, Long> files = new TreeMap<>();
        for (S3Object object : listRecursive(folder)) {
            String relative = object.key().substring(folder.folderPrefix().length());
            if (!relative.isEmpty() && !relative.endsWith("/")) {
                files.put(relative, object.size());
            }
        }
        return files;
    }

    @Override
    public void deleteFiles(String folderUri, Collection<String> relativePaths) {
        S3Location folder = S3Location.parse(folderUri);
        if (folder.key().isEmpty()) {
            throw new StorageException("refusing to delete in a whole bucket (" + folderUri + ")");
        }
        List<ObjectIdentifier> keys = relativePaths.stream()
                .map(path -> ObjectIdentifier.builder().key(folder.child(path).key()).build()).toList();
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            deleteKeys(folder, keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)));
        }
    }

    @Override
    public void deleteEmptyFolder(String folderUri) {
        // a prefix exists only through its objects
    }

    @Override
    public void writeString(String fileUri, String content) {
        writeString(S3Location.parse(fileUri), content);
    }

    @Override
    public String readString(String fileUri) {
        return readString(S3Location.parse(fileUri));
    }

    /**
     * Brings a folder into the local cache and returns it. A folder with a KubeLoRA manifest yields exactly
     * the listed files, each checked; one whose writer never finished is refused; any other folder is taken
     * as it is. Files already cached with the same size and modification time are kept.
     */
    Path fetchDirectory(S3Location folder) {
        List<S3Object> objects = listRecursive(folder);
        Map<String, S3Object> byPath = new TreeMap<>();
        objects.forEach(o -> byPath.put(o.key().substring(folder.folderPrefix().length()), o));
        if (byPath.isEmpty()) {
            throw new StorageException(folder + " is empty or does not exist (no objects under "
                    + folder.folderPrefix() + " in bucket " + folder.bucket() + ")");
        }
        Path local = cacheRoot.resolve(folder.bucket()).resolve(folder.key().isEmpty() ? "_bucket" : folder.key())
                .normalize();
        if (!local.startsWith(cacheRoot)) {
            throw new StorageException(folder + " would be cached outside the cache folder");
        }
        CompletionManifest manifest = null;
        if (byPath.containsKey(CompletionManifest.COMPLETE)) {
            S3Location manifestLocation = folder.child(CompletionManifest.COMPLETE);
            manifest = CompletionManifest.parse(readString(manifestLocation), manifestLocation.uri());
        } else if (byPath.containsKey(CompletionManifest.IN_PROGRESS)) {
            throw new StorageException(folder + " is incomplete: it has " + CompletionManifest.IN_PROGRESS
                    + " but no " + CompletionManifest.COMPLETE + ", so its writer is still at work or was"
                    + " interrupted; wait for it or publish the folder again");
        }
        try (CacheLock lock = CacheLock.acquire(cacheRoot, local)) {
            fetchInto(folder, byPath, manifest, local);
        }
        return local;
    }

    /** Brings the listed objects into {@code local} and removes any other file there; the caller holds its lock. */
    private void fetchInto(S3Location folder, Map<String, S3Object> byPath, CompletionManifest manifest, Path local) {
        Set<String> wanted = new HashSet<>();
        if (manifest != null) {
            for (CompletionManifest.Entry entry : manifest.files()) {
                S3Object object = byPath.get(entry.path());
                if (object == null || object.size() != entry.size()) {
                    throw new StorageException(folder + " does not match its manifest: '" + entry.path() + "' is "
                            + (object == null ? "missing" : object.size() + " bytes, expected " + entry.size()));
                }
                fetchCached(folder.bucket(), object, local.resolve(entry.path()), entry.sha256());
                wanted.add(entry.path());
            }
        } else {
            for (Map.Entry<String, S3Object> e : byPath.entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().endsWith("/") || CompletionManifest.isReservedName(e.getKey())) {
                    continue; // folder placeholders and our own markers
                }
                fetchCached(folder.bucket(), e.getValue(), inside(local, e.getKey()), null);
                wanted.add(e.getKey());
            }
        }
        removeOthers(local, wanted);
    }

    private void fetchCached(String bucket, S3Object object, Path target, String sha256) {
        S3Location location = new S3Location(bucket, object.key());
        FileTime remoteTime = FileTime.from(object.lastModified());
        try {
            if (Files.isRegularFile(target) && Files.size(target) == object.size()
                    && Files.getLastModifiedTime(target).equals(remoteTime)) {
                return;
            }
            transfers.download(location, object.size(), object.eTag(), target);
            if (sha256 != null) {
                String actual = Digests.sha256(target);
                if (!actual.equals(sha256)) {
                    Files.deleteIfExists(target);
                    throw new StorageException("checksum mismatch for " + location + ": manifest says sha256 "
                            + sha256 + ", downloaded " + actual + " (changed after publication?)");
                }
            }
            Files.setLastModifiedTime(target, remoteTime);
        } catch (IOException e) {
            throw new StorageException("cannot cache " + location + " at " + target + ": " + e.getMessage(), e);
        }
    }

    private static void removeOthers(Path local, Set<String> wanted) {
        try (Stream<Path> walk = Files.walk(local)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                if (!wanted.contains(RelativePaths.of(local, file))) {
                    Files.delete(file);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot tidy the cache folder " + local + ": " + e.getMessage(), e);
        }
    }

    /** {@code root/relative}, refusing object keys whose '..' segments would leave {@code root}. */
    private static Path inside(Path root, String relative) {
        Path target = root.resolve(relative).normalize();
        if (!target.startsWith(root.normalize())) {
            throw new StorageException("object key '" + relative + "' would leave the folder " + root);
        }
        return target;
    }

    /** Plain copy of every object under the folder into {@code localDir}. */
    void downloadDirectory(S3Location folder, Path localDir) {
        for (S3Object object : listRecursive(folder)) {
            String relative = object.key().substring(folder.folderPrefix().length());
            if (relative.isEmpty() || relative.endsWith("/")) {
                continue;
            }
            Path target = inside(localDir, relative);
            transfers.download(new S3Location(folder.bucket(), object.key()), object.size(), object.eTag(), target);
        }
    }

    /** Path of a single object in the cache, downloaded unless the cached copy is current. */
    Path fetchFile(S3Location file) {
        Path local = cacheRoot.resolve(file.bucket()).resolve(file.key()).normalize();
        if (file.key().isEmpty() || !local.startsWith(cacheRoot)) {
            throw new StorageException(file + " does not name an object");
        }
        try {
            var head = s3.headObject(b -> b.bucket(file.bucket()).key(file.key()));
            S3Object object = S3Object.builder().key(file.key()).size(head.contentLength())
                    .lastModified(head.lastModified()).eTag(head.eTag()).build();
            try (CacheLock lock = CacheLock.acquire(cacheRoot, local)) {
                fetchCached(file.bucket(), object, local, null);
            }
            return local;
        } catch (SdkException e) {
            throw S3Errors.translate(e, "reading", file.uri(), settings);
        }
    }

    void uploadDirectory(Path localDir, S3Location folder) {
        LocalFiles.existingDirectory(localDir, localDir.toString());
        try (Stream<Path> walk = Files.walk(localDir)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                uploadFile(file, folder.child(RelativePaths.of(localDir, file)));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot read " + localDir + " to upload it: " + e.getMessage(), e);
        }
    }

    void uploadFile(Path file, S3Location to) {
        transfers.upload(file, to);
    }

    /** Immediate children: sub-folder names and object names, sorted; empty for a missing folder. */
    List<String> list(S3Location folder) {
        String prefix = folder.folderPrefix();
        Set<String> names = new TreeSet<>();
        try {
            s3.listObjectsV2Paginator(b -> b.bucket(folder.bucket()).prefix(prefix).delimiter("/"))
                    .forEach(page -> {
                        for (CommonPrefix p : page.commonPrefixes()) {
                            String name = p.prefix().substring(prefix.length());
                            names.add(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
                        }
                        for (S3Object o : page.contents()) {
                            String name = o.key().substring(prefix.length());
                            if (!name.isEmpty()) {
                                names.add(name);
                            }
                        }
                    });
        } catch (SdkException e) {
            throw S3Errors.translate(e, "listing", folder.uri(), settings);
        }
        return List.copyOf(names);
    }

    List<S3Object> listRecursive(S3Location folder) {
        List<S3Object> objects = new ArrayList<>();
        try {
            s3.listObjectsV2Paginator(b -> b.bucket(folder.bucket()).prefix(folder.folderPrefix()))
                    .forEach(page -> objects.addAll(page.contents()));
        } catch (SdkException e) {
            throw S3Errors.translate(e, "listing", folder.uri(), settings);
        }
        return objects;
    }

    void deleteKeys(S3Location folder, List<ObjectIdentifier> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            List<S3Error> errors = s3.deleteObjects(b -> b.bucket(folder.bucket())
                    .delete(Delete.builder().objects(batch).quiet(true).build())).errors();
            if (!errors.isEmpty()) {
                S3Error first = errors.get(0);
                throw new StorageException("cannot delete " + errors.size() + " object(s) under " + folder
                        + ", e.g. s3://" + folder.bucket() + "/" + first.key() + ": " + first.code() + " "
                        + first.message());
            }
        } catch (SdkException e) {
            throw S3Errors.translate(e, "deleting under", folder.uri(), settings);
        }
    }

    void deleteObject(S3Location object) {
        try {
            s3.deleteObject(b -> b.bucket(object.bucket()).key(object.key()));
        } catch (SdkException e) {
            throw S3Errors.translate(e, "deleting", object.uri(), settings);
        }
    }

    void writeString(S3Location file, String content) {
        try {
            s3.putObject(b -> b.bucket(file.bucket()).key(file.key()).contentType(ContentTypes.of(file.key())),
                    RequestBody.fromString(content, StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw S3Errors.translate(e, "writing", file.uri(), settings);
        }
    }

    String readString(S3Location file) {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(file.bucket()).key(file.key())).asUtf8String();
        } catch (SdkException e) {
            throw S3Errors.translate(e, "reading", file.uri(), settings);
        }
    }

    Publication publish(S3Location folder, String name) {
        return new S3Publication(this, folder.child(name));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        s3.close();
    }
}
