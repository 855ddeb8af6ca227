package io.kubelora.trainer.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * One kind of storage behind URIs: local paths and mounted claims ({@link LocalStore}), S3 ({@link S3Store}) or
 * the Hugging Face Hub ({@link HfStore}). {@link Storage} picks the store of a URI once and hands it the whole
 * operation; a store refuses what its kind cannot do (the hub is read-only here) with an error naming the URI.
 */
sealed interface Store permits LocalStore, S3Store, HfStore {

    /** A model folder on this machine: local folders as they are, remote ones downloaded into the cache. */
    Path fetchDirectory(String uri);

    /** A single file such as a dataset, on this machine. */
    Path fetchFile(String uri);

    /** Starts writing {@code <folderUri>/<name>} as one unit; {@code name} is a plain folder name. */
    Publication publish(String folderUri, String name);

    /** Names of the children of a folder, sorted; empty when it does not exist. */
    List<String> list(String folderUri);

    /** Copies a local folder to {@code folderUri}, file by file. */
    void uploadDirectory(Path localDir, String folderUri);

    /** Copies every file under {@code folderUri} into {@code localDir}. */
    void downloadDirectory(String folderUri, Path localDir);

    /**
     * Every file under a folder, hidden ones included, by slash-separated relative path, with its size; empty when
     * the folder does not exist.
     */
    Map<String, Long> files(String folderUri);

    /**
     * Deletes the given files of a folder (what is not there is no error) and, on a file system, the sub-folders
     * this leaves empty; a root is refused.
     */
    void deleteFiles(String folderUri, Collection<String> relativePaths);

    /** Removes the folder itself when it is empty (a no-op where folders do not exist apart from their files). */
    void deleteEmptyFolder(String folderUri);

    /** Writes a small text file in one piece, replacing an older one. */
    void writeString(String fileUri, String content);

    /** Reads a small text file. */
    String readString(String fileUri) throws IOException;
}
