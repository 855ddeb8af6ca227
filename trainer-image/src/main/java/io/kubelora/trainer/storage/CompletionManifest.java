package io.kubelora.trainer.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The marker a KubeLoRA publication writes last into a folder: which files make up the folder, with sizes and
 * SHA-256. Its presence means "complete"; a reader downloads exactly these files and checks them.
 */
public record CompletionManifest(String format, String name, String createdAt, List<Entry> files) {

    /** Written last: the folder is complete. */
    public static final String COMPLETE = "_KUBELORA_COMPLETE.json";
    /** Written first on object stores, removed after {@link #COMPLETE}: a writer is (or was) at work. */
    public static final String IN_PROGRESS = "_KUBELORA_IN_PROGRESS.json";
    public static final String FORMAT = "kubelora.io/folder/v1";

    private static final String RESERVED_PREFIX = "_KUBELORA_";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One file of the folder; {@code path} is relative and slash-separated. */
    public record Entry(String path, long size, String sha256) {
    }

    public CompletionManifest {
        files = files == null ? null : List.copyOf(files);
    }

    /** True for names that KubeLoRA reserves for its markers. */
    public static boolean isReservedName(String relativePath) {
        return relativePath.startsWith(RESERVED_PREFIX);
    }

    public Map<String, Entry> byPath() {
        return files.stream().collect(Collectors.toMap(Entry::path, Function.identity()));
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the folder manifest", e);
        }
    }

    /** Parses a manifest read from {@code source}, rejecting anything that is not one. */
    public static CompletionManifest parse(String json, String source) {
        CompletionManifest manifest;
        try {
            manifest = JSON.readValue(json, CompletionManifest.class);
        } catch (JsonProcessingException e) {
            throw new StorageException(source + " is not a valid KubeLoRA folder manifest: "
                    + e.getOriginalMessage(), e);
        }
        if (manifest == null || !FORMAT.equals(manifest.format()) || manifest.files() == null) {
            throw new StorageException(source + " is not a KubeLoRA folder manifest (format must be " + FORMAT + ")");
        }
        for (Entry entry : manifest.files()) {
            try {
                RelativePaths.require(entry.path());
            } catch (IllegalArgumentException e) {
                throw new StorageException(source + " lists a bad path: " + e.getMessage(), e);
            }
            if (entry.size() < 0 || entry.sha256() == null || !entry.sha256().matches("[0-9a-f]{64}")) {
                throw new StorageException(source + " has a bad size or sha256 for '" + entry.path() + "'");
            }
        }
        return manifest;
    }
}
