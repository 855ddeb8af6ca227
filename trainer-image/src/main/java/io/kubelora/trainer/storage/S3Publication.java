package io.kubelora.trainer.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;

/**
 * Publishes a folder on S3, where nothing renames a prefix atomically: an in-progress marker goes first (and
 * an older manifest is removed), then every file, and the manifest last. Readers trust only a folder with a
 * manifest and check the files against it, so they never take a half-written folder for a complete one.
 */
final class S3Publication implements Publication {

    private final S3Store store;
    private final S3Location folder;
    private final Map<String, CompletionManifest.Entry> entries = new LinkedHashMap<>();
    private boolean committed;
    private boolean closed;

    S3Publication(S3Store store, S3Location folder) {
        this.store = store;
        this.folder = folder;
        store.writeString(folder.child(CompletionManifest.IN_PROGRESS),
                "{\"startedAt\": \"" + Instant.now() + "\"}\n");
        store.deleteObject(folder.child(CompletionManifest.COMPLETE));
    }

    @Override
    public synchronized void addFile(String relativePath, Path localFile) {
        requireOpen();
        RelativePaths.require(relativePath);
        try {
            long size = Files.size(localFile);
            String sha256 = Digests.sha256(localFile);
            store.uploadFile(localFile, folder.child(relativePath));
            entries.put(relativePath, new CompletionManifest.Entry(relativePath, size, sha256));
        } catch (IOException e) {
            throw new StorageException("cannot read " + localFile + " to publish it as " + folder.child(relativePath)
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized String commit() {
        requireOpen();
        // leftovers of an older version under the same prefix would be ignored by readers; remove them anyway
        List<ObjectIdentifier> stale = new ArrayList<>();
        for (var object : store.listRecursive(folder)) {
            String relative = object.key().substring(folder.folderPrefix().length());
            if (!entries.containsKey(relative) && !CompletionManifest.isReservedName(relative)) {
                stale.add(ObjectIdentifier.builder().key(object.key()).build());
            }
        }
        store.deleteKeys(folder, stale);
        String name = folder.key().substring(folder.key().lastIndexOf('/') + 1);
        CompletionManifest manifest = new CompletionManifest(CompletionManifest.FORMAT, name,
                Instant.now().toString(), List.copyOf(entries.values()));
        store.writeString(folder.child(CompletionManifest.COMPLETE), manifest.toJson());
        committed = true;
        closed = true;
        store.deleteObject(folder.child(CompletionManifest.IN_PROGRESS));
        return folder.uri();
    }

    /** Removes what this publication uploaded; the in-progress marker stays while older files remain. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ObjectIdentifier> uploaded = entries.keySet().stream()
                .map(path -> ObjectIdentifier.builder().key(folder.child(path).key()).build())
                .toList();
        store.deleteKeys(folder, uploaded);
        boolean onlyMarkerLeft = store.listRecursive(folder).stream()
                .allMatch(o -> o.key().equals(folder.child(CompletionManifest.IN_PROGRESS).key()));
        if (onlyMarkerLeft) {
            store.deleteObject(folder.child(CompletionManifest.IN_PROGRESS));
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the publication of " + folder + " is already "
                    + (committed ? "committed" : "closed"));
        }
    }
}
