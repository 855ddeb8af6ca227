package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
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
