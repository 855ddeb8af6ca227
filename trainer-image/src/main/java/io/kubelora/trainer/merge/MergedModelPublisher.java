package io.kubelora.trainer.merge;

import io.kubelora.trainer.storage.HfUpload;
import io.kubelora.trainer.storage.LocalFiles;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Merges into a local staging folder and delivers the result to any output URI as one unit: through
 * {@link Storage#publish} (an atomic rename locally, a completion marker on object stores) or, for
 * {@code hf://org/repo[@revision]}, as a single commit on the Hugging Face Hub. The destination and the hub
 * token are checked before the merge starts, and the staging folder is removed whatever happens. Used by the
 * {@code kubelora merge} command and by training runs that merge when they finish.
 */
public final class MergedModelPublisher {

    private static final String HF_SCHEME = "hf://";
    private static final String STAGED_NAME = "merged";

    /** Where the merged model went, and what was written. */
    public record Published(String uri, MergeResult result) {
    }

    private final Storage storage;
    private final Map<String, String> env;
    private final Path workDir;

    /**
     * @param storage publishes to local, pvc://, file:// and s3:// destinations
     * @param env     the environment (HF_TOKEN, HF_ENDPOINT for hf:// destinations)
     * @param workDir local folder for the staging copy (needs room for the whole merged model)
     */
    public MergedModelPublisher(Storage storage, Map<String, String> env, Path workDir) {
        this.storage = storage;
        this.env = Map.copyOf(env);
        this.workDir = workDir;
    }

    /**
     * Fails with a message naming {@code what} (the option or field) when {@code outUri} cannot receive a merged
     * model: a bucket or claim root, a local path that is a file or cannot be created, a folder holding files
     * KubeLoRA did not write (publishing replaces the folder as a whole), no HF_TOKEN for hf://. Worth calling before
     * downloading the inputs.
     */
    public void checkDestination(String outUri, String what) {
        String out = outUri.strip();
        try {
            if (out.startsWith(HF_SCHEME)) {
                HfUpload.fromEnvironment(env);
                return;
            }
            splitParent(out);
            Optional<String> problem = storage.folderProblem(out);
            if (problem.isPresent()) {
                throw new StorageException(problem.get());
            }
            List<String> foreign = storage.foreignFiles(out);
            if (!foreign.isEmpty()) {
                throw new StorageException(foreign.get(0) + (foreign.size() > 1 ? " (and " + (foreign.size() - 1)
                        + " more)" : "") + " was not written by KubeLoRA, and publishing the merged model replaces"
                        + " the folder as a whole; move it away or choose another destination");
            }
        } catch (StorageException | IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " (" + outUri + "): " + e.getMessage(), e);
        }
    }

    /**
     * Merges {@code adapterDir} into {@code modelDir} and publishes the result at {@code outUri}.
     *
     * @param summary commit message when publishing to the Hugging Face Hub
     */
    public Published mergeAndPublish(Path modelDir, Path adapterDir, String outUri, MergeOptions options,
                                     String summary) throws IOException {
        String out = outUri.strip();
        boolean toHub = out.startsWith(HF_SCHEME);
        HfUpload hub = toHub ? HfUpload.fromEnvironment(env) : null;
        String[] target = toHub ? new String[] {null, STAGED_NAME} : splitParent(out);
        Path staging = Files.createTempDirectory(Files.createDirectories(workDir), "merge-");
        try {
            MergeResult result = ModelMerger.merge(modelDir, adapterDir, staging.resolve(target[1]), options);
            String uri = toHub ? hub.uploadFolder(result.modelDir(), out, summary)
                    : storage.publishDirectory(target[0], target[1], result.modelDir());
            return new Published(uri, result);
        } finally {
            LocalFiles.deleteTree(staging);
        }
    }

    /**
     * {@code s3://b/runs/merged} -> {@code [s3://b/runs, merged]}; a bare name is published in the current
     * folder. A URI naming no folder inside its bucket, claim or root is refused.
     */
    static String[] splitParent(String uri) {
        String trimmed = uri.strip();
        while (trimmed.endsWith("/") && trimmed.length() > 1) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        int slash = trimmed.lastIndexOf('/');
        int schemeEnd = trimmed.indexOf("://");
        String name = trimmed.substring(slash + 1);
        boolean bucketOnly = schemeEnd >= 0 && (slash <= schemeEnd + 2 || trimmed.indexOf('/', schemeEnd + 3) < 0);
        if (name.isEmpty() || name.equals(".") || name.equals("..") || bucketOnly) {
            throw new IllegalArgumentException("the merged model's destination must name a folder to create inside "
                    + "an existing location, e.g. s3://bucket/runs/merged or ./merged, was '" + uri + "'");
        }
        String parent = slash < 0 ? "." : slash == 0 ? "/" : trimmed.substring(0, slash);
        return new String[] {parent, name};
    }
}
