package io.kubelora.trainer.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which files of a folder KubeLoRA wrote, told from its markers. A folder with {@code _KUBELORA_COMPLETE.json} is
 * KubeLoRA's as far as that manifest goes: a file it does not list, or of another size, is someone else's. An
 * interrupted publication on an object store ({@code _KUBELORA_IN_PROGRESS.json} and no manifest) is wholly
 * KubeLoRA's. A folder with neither marker is not KubeLoRA's at all. KubeLoRA replaces or deletes only its own files.
 */
final class FolderOwnership {

    private FolderOwnership() {
    }

    /**
     * The files of {@code files} (relative path to size) that KubeLoRA did not write, sorted.
     *
     * @param manifest the folder's completion manifest, or null when it has none (or an unreadable one)
     */
    static List<String> foreign(Map<String, Long> files, CompletionManifest manifest) {
        boolean interrupted = manifest == null && files.containsKey(CompletionManifest.IN_PROGRESS);
        Map<String, CompletionManifest.Entry> listed = manifest == null ? Map.of() : manifest.byPath();
        List<String> foreign = new ArrayList<>();
        for (Map.Entry<String, Long> file : files.entrySet()) {
            String path = file.getKey();
            boolean marker = path.equals(CompletionManifest.COMPLETE) || path.equals(CompletionManifest.IN_PROGRESS);
            CompletionManifest.Entry entry = listed.get(path);
            boolean own = marker && (manifest != null || interrupted) || interrupted
                    || entry != null && entry.size() == file.getValue();
            if (!own) {
                foreign.add(path);
            }
        }
        foreign.sort(null);
        return foreign;
    }

    /** "notes.txt" or "notes.txt and 2 more files", for messages. */
    static String describe(List<String> foreign) {
        return foreign.get(0) + (foreign.size() == 1 ? "" : " and " + (foreign.size() - 1) + " more file"
                + (foreign.size() == 2 ? "" : "s"));
    }
}
