package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Publishes {@code <parent>/<name>} on a local or mounted file system: files go into a hidden
 * {@code .<name>.partial-<random>} sibling, and commit renames it onto {@code <name>} in one atomic step.
 */
final class LocalPublication implements Publication {

    private final Path target;
    private final Path partial;
    private final String finalUri;
    private final List<CompletionManifest.Entry> entries = new ArrayList<>();
    private boolean committed;
    private boolean closed;

    LocalPublication(Path parent, String name, String finalUri) {
        RelativePaths.require(name);
        if (name.contains("/")) {
            throw new IllegalArgumentException("publication name '" + name + "' must be a single folder name");
        }
        this.target = parent.resolve(name);
        this.partial = parent.resolve("." + name + ".partial-" + UUID.randomUUID());
        this.finalUri = finalUri;
        try {
            Files.createDirectories(partial);
        } catch (IOException e) {
            throw new StorageException("cannot create " + partial + " to publish " + finalUri + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void addFile(String relativePath, Path localFile) {
        requireOpen();
        RelativePaths.require(relativePath);
        Path destination = partial.resolve(relativePath);
        MessageDigest sha256 = Digests.newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(localFile), sha256)) {
            Files.createDirectories(destination.getParent());
            long size = Files.copy(in, destination, StandardCopyOption.REPLACE_EXISTING);
            entries.removeIf(e -> e.path().equals(relativePath));
            entries.add(new CompletionManifest.Entry(relativePath, size, Digests.hex(sha256)));
        } catch (IOException e) {
            throw new StorageException("cannot add " + localFile + " as " + relativePath + " to " + finalUri
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized String commit() {
        requireOpen();
        String name = target.getFileName().toString();
        CompletionManifest manifest = new CompletionManifest(CompletionManifest.FORMAT, name,
                Instant.now().toString(), entries);
        Path old = target.resolveSibling("." + name + ".old-" + UUID.randomUUID());
        try {
            Files.writeString(partial.resolve(CompletionManifest.COMPLETE), manifest.toJson());
            // rename(2) cannot replace a non-empty folder: park the old one first, then swap the new one in.
            // A reader sees the old folder, briefly none, then the new one; never a mix of both.
            boolean replacing = Files.exists(target);
            if (replacing) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
            if (replacing) {
                LocalFiles.deleteTree(old);
            }
            return finalUri;
        } catch (IOException e) {
            throw new StorageException("cannot publish " + finalUri + ": " + e.getMessage()
                    + (Files.exists(old) ? " (the previous version is kept at " + old + ")" : ""), e);
        } finally {
            closed = true;
            if (!committed) {
                LocalFiles.deleteTree(partial);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LocalFiles.deleteTree(partial);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the publication of " + finalUri + " is already "
                    + (committed ? "committed" : "closed"));
        }
    }
}
