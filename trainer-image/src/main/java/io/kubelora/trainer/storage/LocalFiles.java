package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/** File and folder operations on the local file system that storage, staging and cleanup share. */
public final class LocalFiles {

    private LocalFiles() {
    }

    static Path existingDirectory(Path dir, String uri) {
        if (!Files.isDirectory(dir)) {
            throw new StorageException(uri + " is not a folder" + (Files.exists(dir) ? "" : " (" + dir
                    + " does not exist)"));
        }
        return dir;
    }

    static Path existingFile(Path file, String uri) {
        if (!Files.isRegularFile(file)) {
            throw new StorageException(uri + " is not a file" + (Files.exists(file) ? "" : " (" + file
                    + " does not exist)"));
        }
        return file;
    }

    /** Child names, hidden ones (partial publications) left out; empty when the folder does not exist. */
    static List<String> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString())
                    .filter(name -> !name.startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new StorageException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every file under {@code dir} (hidden ones too) by relative path, with its size; empty when it is missing. */
    static Map<String, Long> filesUnder(Path dir, String uri) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Map.of();
        }
        if (!Files.isDirectory(dir)) {
            throw new StorageException(uri + " is a file (" + dir + "), not a folder");
        }
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                files.put(RelativePaths.of(dir, file), Files.size(file));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return files;
    }

    /** Deletes the given files under {@code dir}, then the sub-folders of {@code dir} this leaves empty. */
    static void deleteFiles(Path dir, Collection<String> relativePaths) {
        try {
            for (String relative : relativePaths) {
                Path file = dir.resolve(relative).normalize();
                if (!file.startsWith(dir) || file.equals(dir)) {
                    throw new StorageException("'" + relative + "' would leave the folder " + dir);
                }
                Files.deleteIfExists(file);
                for (Path parent = file.getParent(); !parent.equals(dir) && isEmptyDirectory(parent);
                     parent = parent.getParent()) {
                    Files.delete(parent);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot delete files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes {@code dir} when it is an empty folder. */
    static void deleteEmptyFolder(Path dir) {
        deleteEmptyFolders(dir, dir);
    }

    /**
     * Removes {@code dir} and then its parents up to {@code outermost}, each while it is an empty folder: the folders
     * made for an output that is given up.
     */
    public static void deleteEmptyFolders(Path dir, Path outermost) {
        Path stop = outermost.toAbsolutePath();
        for (Path folder = dir.toAbsolutePath(); folder != null && folder.startsWith(stop);
             folder = folder.getParent()) {
            try {
                if (!isEmptyDirectory(folder)) {
                    return;
                }
                Files.delete(folder);
            } catch (IOException e) {
                throw new StorageException("cannot remove the empty folder " + folder + ": " + e.getMessage(), e);
            }
        }
    }

    /** The outermost folder of {@code dir}'s path that does not exist ({@code dir} at most), or null if it exists. */
    public static Path outermostMissing(Path dir) {
        Path missing = dir.toAbsolutePath();
        if (Files.exists(missing)) {
            return null;
        }
        while (missing.getParent() != null && !Files.exists(missing.getParent())) {
            missing = missing.getParent();
        }
        return missing;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.findAny().isEmpty();
        }
    }

    /**
     * Why a folder cannot be at {@code dir} (it is a file, a parent is a file, the nearest existing parent is not
     * writable, the file system refuses to create it), or empty when it exists or can be created.
     */
    static Optional<String> folderProblem(Path dir) {
        Path missing = outermostMissing(dir);
        if (missing == null) {
            return Files.isDirectory(dir) ? Files.isWritable(dir) ? Optional.empty()
                    : Optional.of(dir + " is not writable") : Optional.of(dir + " is a file, not a folder");
        }
        Path existing = missing.getParent();
        if (existing == null) {
            return Optional.of("no parent folder of " + dir + " exists");
        }
        if (!Files.isDirectory(existing)) {
            return Optional.of(existing + " is a file, so no folder can be created below it");
        }
        if (!Files.isWritable(existing)) {
            return Optional.of(dir + " cannot be created: " + existing + " is not writable");
        }
        return creationRefused(dir.toAbsolutePath(), missing);
    }

    /**
     * Creates {@code dir} and removes again what it created, from {@code dir} up to {@code outermost}: why the file
     * system refused (read-only, virtual, a permission that access() does not show), if it did.
     */
    private static Optional<String> creationRefused(Path dir, Path outermost) {
        try {
            Files.createDirectories(dir);
            return Optional.empty();
        } catch (IOException e) {
            String reason = e instanceof FileSystemException refusal && refusal.getReason() != null
                    ? refusal.getReason() : "the file system refused it";
            return Optional.of(dir + " cannot be created: " + reason);
        } finally {
            deleteEmptyFolders(dir, outermost);
        }
    }

    /** Copies every file under {@code source} into {@code target}, replacing files of the same name. */
    static void copyTree(Path source, Path target) {
        existingDirectory(source, source.toString());
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Path destination = target.resolve(source.relativize(file).toString());
                Files.createDirectories(destination.getParent());
                Files.copy(file, destination, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a file or folder and everything in it; what is not there is no error. */
    public static void deleteTree(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            List<Path> deepestFirst = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : deepestFirst) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // removed concurrently: nothing left to do
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot delete " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes the file through a temporary sibling and a rename, so readers never see half of it. */
    static void writeStringAtomically(Path file, String content) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temp = file.resolveSibling("." + file.getFileName() + ".tmp-" + UUID.randomUUID());
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            moveAtomically(temp, file);
        } catch (IOException e) {
            throw new StorageException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot replace " + target + " atomically", e);
        }
    }
}
