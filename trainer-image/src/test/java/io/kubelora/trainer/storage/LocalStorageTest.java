package io.kubelora.trainer.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain paths, file:// and pvc:// URIs, and atomic publication on a local file system. */
class LocalStorageTest {

    @TempDir
    Path tmp;

    private Storage storage() {
        return Storage.fromEnvironment(Map.of("KUBELORA_PVC_ROOT", tmp.resolve("pvc").toString(),
                "KUBELORA_CACHE_DIR", tmp.resolve("cache").toString()), tmp.resolve("spec-folder"));
    }

    @Test
    void mapsPvcFileAndRelativeUris() throws IOException {
        Path model = Files.createDirectories(tmp.resolve("pvc/models/llama/3b"));
        Path data = tmp.resolve("spec-folder/data/train.jsonl");
        Files.createDirectories(data.getParent());
        Files.writeString(data, "{}\n");
        try (Storage storage = storage()) {
            assertEquals(model, storage.fetchDirectory("pvc://models/llama/3b"));
            assertEquals(model, storage.fetchDirectory("pvc://models/llama/3b/"));
            assertEquals(model, storage.fetchDirectory("file://" + model));
            assertEquals(model, storage.fetchDirectory(model.toString()));
            assertEquals(data, storage.fetchFile("data/train.jsonl"));
            assertEquals(data, storage.fetchFile("./data/../data/train.jsonl"));
            assertEquals(data, storage.fetchFile(data.toUri().toString()));
            assertTrue(storage.isLocal("pvc://models/x") && storage.isLocal("out") && !storage.isLocal("s3://b/k"));
        }
    }

    @Test
    void modelConfigOfALocalFolderIsItsOwn() throws IOException {
        Path model = Files.createDirectories(tmp.resolve("pvc/models/llama"));
        try (Storage storage = storage()) {
            assertEquals(model.resolve("config.json"), storage.fetchModelConfig("pvc://models/llama"));
            assertEquals(model.resolve("config.json"), storage.fetchModelConfig(model.toString()));
            assertThrows(StorageException.class, () -> storage.fetchModelConfig("pvc://models/none"));
        }
    }

    @Test
    void rejectsUrisThatLeaveTheirPlaceOrDoNotExist() {
        try (Storage storage = storage()) {
            StorageException escape = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("pvc://models/../other/secret"));
            assertTrue(escape.getMessage().contains("leaves its claim's folder"), escape.getMessage());
            StorageException noClaim = assertThrows(StorageException.class, () -> storage.fetchDirectory("pvc:///x"));
            assertTrue(noClaim.getMessage().contains("names no claim"), noClaim.getMessage());
            StorageException missing = assertThrows(StorageException.class,
                    () -> storage.fetchFile("data/missing.jsonl"));
            assertTrue(missing.getMessage().startsWith("data/missing.jsonl is not a file ("), missing.getMessage());
            StorageException relativeFileUri = assertThrows(StorageException.class,
                    () -> storage.fetchFile("file://data/x.jsonl"));
            assertTrue(relativeFileUri.getMessage().contains("file:///<absolute path>"), relativeFileUri.getMessage());
            StorageException scheme = assertThrows(StorageException.class, () -> storage.fetchFile("gs://b/k"));
            assertTrue(scheme.getMessage().contains("unsupported scheme"), scheme.getMessage());
        }
    }

    @Test
    void publicationAppearsOnlyOnCommitAndReplacesTheOldFolderWhole() throws IOException {
        Path v1 = folder("v1", Map.of("adapter_model.safetensors", "one", "extra.txt", "old"));
        Path v2 = folder("v2", Map.of("adapter_model.safetensors", "two", "sub/notes.md", "hi"));
        try (Storage storage = storage()) {
            String output = "pvc://runs/exp-1";
            assertEquals("pvc://runs/exp-1/adapter", storage.publishDirectory(output, "adapter", v1));

            Publication publication = storage.publish(output, "adapter");
            publication.addFile("adapter_model.safetensors", v2.resolve("adapter_model.safetensors"));
            publication.addFile("sub/notes.md", v2.resolve("sub/notes.md"));
            Path target = tmp.resolve("pvc/runs/exp-1/adapter");
            assertEquals("one", Files.readString(target.resolve("adapter_model.safetensors")),
                    "the old folder stays until commit");
            assertEquals(List.of("adapter"), storage.list(output), "the partial folder is hidden");
            publication.commit();

            assertEquals("two", Files.readString(target.resolve("adapter_model.safetensors")));
            assertFalse(Files.exists(target.resolve("extra.txt")), "nothing of the old folder is mixed in");
            assertEquals(List.of("adapter"), hiddenAndVisible(tmp.resolve("pvc/runs/exp-1")));
            CompletionManifest manifest = CompletionManifest.parse(
                    Files.readString(target.resolve(CompletionManifest.COMPLETE)), "manifest");
            assertEquals(List.of("adapter_model.safetensors", "sub/notes.md"),
                    manifest.files().stream().map(CompletionManifest.Entry::path).toList());
            assertEquals(Digests.sha256(v2.resolve("sub/notes.md")), manifest.byPath().get("sub/notes.md").sha256());
            assertThrows(IllegalStateException.class, () -> publication.addFile("x", v1.resolve("extra.txt")));
        }
    }

    @Test
    void anAbandonedPublicationLeavesNothingBehind() throws IOException {
        Path v1 = folder("v1", Map.of("a.txt", "a"));
        try (Storage storage = storage()) {
            try (Publication publication = storage.publish("out", "checkpoint")) {
                publication.addFile("a.txt", v1.resolve("a.txt"));
                assertThrows(IllegalArgumentException.class, () -> publication.addFile("../escape.txt",
                        v1.resolve("a.txt")));
                assertThrows(IllegalArgumentException.class, () -> publication.addFile(
                        CompletionManifest.COMPLETE, v1.resolve("a.txt")));
            }
            assertEquals(List.of(), hiddenAndVisible(tmp.resolve("spec-folder/out")));
        }
    }

    @Test
    void copiesListsWritesAndDeletes() throws IOException {
        Path checkpoint = folder("staging/step-20", Map.of("state.json", "{}", "adapter/w.safetensors", "w"));
        try (Storage storage = storage()) {
            String folder = storage.resolve("pvc://runs/x/", "checkpoints");
            assertEquals("pvc://runs/x/checkpoints", folder);
            storage.publishDirectory(folder, "step-20", checkpoint);
            storage.publishDirectory(folder, "step-10", checkpoint);
            assertEquals(List.of("step-10", "step-20"), storage.list(folder));
            Path copy = storage.downloadDirectory(storage.resolve(folder, "step-20"), tmp.resolve("restore"));
            assertEquals("w", Files.readString(copy.resolve("adapter/w.safetensors")));

            storage.writeString(storage.resolve(folder, "metrics.jsonl"), "{\"step\": 1}\n");
            assertEquals("{\"step\": 1}\n", storage.readString("pvc://runs/x/checkpoints/metrics.jsonl"));

            assertEquals(List.of(), storage.deletePublished(storage.resolve(folder, "step-10")));
            assertEquals(List.of(), storage.deletePublished(storage.resolve(folder, "step-99")));
            assertEquals(List.of("metrics.jsonl", "step-20"), storage.list(folder));
            assertEquals(List.of(), storage.list("pvc://runs/none"));
            assertThrows(IllegalArgumentException.class, () -> storage.resolve(folder, "../escape"));
            assertThrows(StorageException.class, () -> storage.deletePublished("."));
        }
    }

    /** A folder KubeLoRA published and someone added to: KubeLoRA neither replaces it nor deletes their file. */
    @Test
    void filesKubeLoraDidNotWriteAreNeverReplacedOrDeleted() throws IOException {
        Path v1 = folder("v1", Map.of("adapter_model.safetensors", "one", "sub/config.json", "{}"));
        try (Storage storage = storage()) {
            String output = "pvc://runs/exp-2";
            Path adapter = tmp.resolve("pvc/runs/exp-2/adapter");
            storage.publishDirectory(output, "adapter", v1);
            Files.writeString(adapter.resolve("notes.txt"), "mine");
            Files.writeString(adapter.resolve("sub/config.json"), "{\"edited\": true}"); // another size: theirs now
            assertEquals(List.of("notes.txt", "sub/config.json"), storage.foreignFiles(output + "/adapter"));

            StorageException refused = assertThrows(StorageException.class,
                    () -> storage.publishDirectory(output, "adapter", v1));
            assertEquals("refusing to replace pvc://runs/exp-2/adapter: it holds notes.txt and 1 more file, which "
                    + "KubeLoRA did not write there; move them away or publish elsewhere", refused.getMessage());
            assertEquals("mine", Files.readString(adapter.resolve("notes.txt")));

            assertEquals(List.of("notes.txt", "sub/config.json"), storage.deletePublished(output + "/adapter"));
            assertEquals(List.of("notes.txt", "sub"), hiddenAndVisible(adapter), "only KubeLoRA's files went");

            Path plain = folder("pvc/runs/exp-2/plain", Map.of("a.txt", "a"));
            assertEquals(List.of("a.txt"), storage.deletePublished(output + "/plain"), "no manifest: nothing is ours");
            assertTrue(Files.exists(plain.resolve("a.txt")));
            Files.writeString(tmp.resolve("pvc/runs/exp-2/file"), "x");
            StorageException file = assertThrows(StorageException.class,
                    () -> storage.publishDirectory(output, "file", v1));
            assertTrue(file.getMessage().startsWith("cannot publish pvc://runs/exp-2/file: "), file.getMessage());
            assertTrue(file.getMessage().endsWith("is a file, not a folder"), file.getMessage());
        }
    }

    private Path folder(String name, Map<String, String> files) throws IOException {
        Path dir = tmp.resolve(name);
        for (var e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
        }
        return dir;
    }

    private static List<String> hiddenAndVisible(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
