package io.kubelora.trainer.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Plain paths, file:// and mounted pvc:// claims: what this machine opens directly. */
final class LocalStore implements Store {

    private final LocalPaths paths;

    LocalStore(LocalPaths paths) {
        this.paths = paths;
    }

    /** Where {@code uri} points on this machine. */
    Path toPath(String uri) {
        return paths.toPath(uri);
    }

    @Override
    public Path fetchDirectory(String uri) {
        return LocalFiles.existingDirectory(toPath(uri), uri);
    }

    @Override
    public Path fetchFile(String uri) {
        return LocalFiles.existingFile(toPath(uri), uri);
    }

    @Override
    public Publication publish(String folderUri, String name) {
        return new LocalPublication(toPath(folderUri), name, RelativePaths.join(folderUri, name));
    }

    @Override
    public List<String> list(String folderUri) {
        return LocalFiles.list(toPath(folderUri));
    }

    @Override
    public void uploadDirectory(Path localDir, String folderUri) {
        LocalFiles.copyTree(localDir, toPath(folderUri));
    }

    @Override
    public void downloadDirectory(String folderUri, Path localDir) {
        LocalFiles.copyTree(fetchDirectory(folderUri), localDir);
    }

    @Override
    public Map<String, Long> files(String folderUri) {
        return LocalFiles.filesUnder(toPath(folderUri), folderUri);
    }

    @Override
    public void deleteFiles(String folderUri, Collection<String> relativePaths) {
        Path folder = toPath(folderUri);
        if (folder.getParent() == null || folder.equals(toPath("."))) {
            throw new StorageException("refusing to delete in " + folder + " (" + folderUri + ")");
        }
        LocalFiles.deleteFiles(folder, relativePaths);
    }

    @Override
    public void deleteEmptyFolder(String folderUri) {
        LocalFiles.deleteEmptyFolder(toPath(folderUri));
    }

    @Override
    public void writeString(String fileUri, String content) {
        LocalFiles.writeStringAtomically(toPath(fileUri), content);
    }

    @Override
    public String readString(String fileUri) throws IOException {
        return Files.readString(fetchFile(fileUri));
    }
}
