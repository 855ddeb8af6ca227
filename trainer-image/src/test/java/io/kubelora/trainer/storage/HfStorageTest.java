package io.kubelora.trainer.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hf:// against a local hub with the real URL layout, redirects and headers. */
class HfStorageTest {

    @TempDir
    Path tmp;
    private HubFixture hub;
    private byte[] weights;

    @BeforeEach
    void startHub() throws IOException {
        hub = new HubFixture();
        weights = new byte[200_000];
        new Random(7).nextBytes(weights);
        hub.addRepo("acme/tiny-llama", false, Map.of(
                "config.json", HubFixture.regular("{\"model_type\": \"llama\"}"),
                "generation_config.json", HubFixture.regular("{}"),
                "tokenizer.json", HubFixture.regular("{\"version\": \"1.0\"}"),
                "tokenizer_config.json", HubFixture.regular("{\"chat_template\": \"x\"}"),
                "model.safetensors", HubFixture.lfs(weights),
                "pytorch_model.bin", HubFixture.lfs(new byte[] {1, 2, 3}),
                "README.md", HubFixture.regular("# tiny"),
                "onnx/model.onnx", HubFixture.lfs(new byte[] {4, 5})));
        hub.addRepo("acme/gated", true, Map.of(
                "config.json", HubFixture.regular("{}"),
                "model.safetensors", HubFixture.lfs(new byte[] {9, 9, 9})));
        hub.addRepo("acme/corrupt", false, Map.of(
                "config.json", HubFixture.regular("{}"),
                "model.safetensors", HubFixture.corruptLfs(Arrays.copyOf(weights, 1000))));
        hub.addRepo("acme/pickles", false, Map.of(
                "config.json", HubFixture.regular("{}"),
                "pytorch_model.bin", HubFixture.lfs(new byte[] {1})));
        hub.addRepo("datasets/acme/chat", false, Map.of(
                "data/train.jsonl", HubFixture.regular("{\"text\": \"hello\"}\n")));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private Storage storage(String token) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.put("KUBELORA_CACHE_DIR", tmp.resolve("cache").toString());
        if (token != null) {
            env.put("HF_TOKEN", token);
        }
        return Storage.fromEnvironment(env, tmp);
    }

    @Test
    void modelConfigComesAloneBeforeTheWeights() throws IOException {
        try (Storage storage = storage(null)) {
            Path config = storage.fetchModelConfig("hf://acme/tiny-llama");
            assertEquals("{\"model_type\": \"llama\"}", Files.readString(config));
            assertEquals(List.of(), hub.cdnRequests, "no weights were asked for");
            assertTrue(hub.hubRequests.stream().allMatch(r -> r.endsWith("/config.json")), hub.hubRequests.toString());
            assertEquals(List.of("config.json"), names(config.getParent()));
            assertEquals(config.getParent(), storage.fetchDirectory("hf://acme/tiny-llama"), "the same snapshot");
            StorageException none = assertThrows(StorageException.class,
                    () -> storage.fetchModelConfig("hf://datasets/acme/chat"));
            assertTrue(none.getMessage().contains("config.json"), none.getMessage());
        }
    }

    @Test
    void fetchesOnlyWhatATrainerNeedsFollowingTheCdnRedirect() throws IOException {
        try (Storage storage = storage(null)) {
            Path model = storage.fetchDirectory("hf://acme/tiny-llama");
            assertEquals(List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                    "tokenizer_config.json"), names(model));
            assertArrayEquals(weights, Files.readAllBytes(model.resolve("model.safetensors")));
            assertEquals("{\"model_type\": \"llama\"}", Files.readString(model.resolve("config.json")));
            assertTrue(model.endsWith(Path.of("hf/models/acme--tiny-llama/snapshots", HubFixture.COMMIT)),
                    model.toString());
            assertEquals(List.of("GET /blobs/" + HubFixture.sha256(weights)), hub.cdnRequests);
            assertTrue(hub.hubRequests.contains("GET /acme/tiny-llama/resolve/" + HubFixture.COMMIT
                    + "/model.safetensors"), "downloads are pinned to the listed commit: " + hub.hubRequests);

            int before = hub.hubRequests.size();
            assertEquals(model, storage.fetchDirectory("hf://acme/tiny-llama@main"));
            assertEquals(before + 1, hub.hubRequests.size(), "a cached snapshot only costs the listing call");
        }
    }

    @Test
    void runsFetchingTheSameModelAtOnceDownloadItOnce() throws Exception {
        hub.cdnDelayMillis = 300; // both runs ask while the first download is under way
        List<Path> fetched = Together.twice(() -> {
            try (Storage storage = storage(null)) { // each run its own process in a cluster: own clients
                return storage.fetchDirectory("hf://acme/tiny-llama");
            }
        }, 30);
        Path model = fetched.get(0);
        assertEquals(model, fetched.get(1));
        assertArrayEquals(weights, Files.readAllBytes(model.resolve("model.safetensors")));
        assertEquals(List.of("GET /blobs/" + HubFixture.sha256(weights)), hub.cdnRequests,
                "the second run waits for the first run's download and reuses it");
        try (Stream<Path> files = Files.list(model)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".incomplete")), "no partial file left");
        }
    }

    @Test
    void aSharedModelCacheHoldsTheDownloadsWhenThePodHasOne() {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.put("KUBELORA_CACHE_DIR", tmp.resolve("scratch").toString());
        env.put("KUBELORA_MODEL_CACHE_DIR", tmp.resolve("model-cache").toString());
        try (Storage storage = Storage.fromEnvironment(env, tmp)) {
            Path model = storage.fetchDirectory("hf://acme/tiny-llama");
            assertTrue(model.startsWith(tmp.resolve("model-cache/hf/models/acme--tiny-llama")), model.toString());
            assertFalse(Files.exists(tmp.resolve("scratch/hf")), "nothing downloaded into the scratch disk");
        }
    }

    @Test
    void resumesAnInterruptedDownloadWithARangeRequest() throws IOException {
        Path snapshot = tmp.resolve("cache/hf/models/acme--tiny-llama/snapshots/" + HubFixture.COMMIT);
        Files.createDirectories(snapshot);
        Files.write(snapshot.resolve("model.safetensors.incomplete"), Arrays.copyOf(weights, 120_000));
        try (Storage storage = storage(null)) {
            Path model = storage.fetchDirectory("hf://acme/tiny-llama");
            assertArrayEquals(weights, Files.readAllBytes(model.resolve("model.safetensors")));
            assertEquals(List.of("GET /blobs/" + HubFixture.sha256(weights) + " bytes=120000-"), hub.cdnRequests);
            assertFalse(Files.exists(snapshot.resolve("model.safetensors.incomplete")));
        }
    }

    @Test
    void aDroppedConnectionIsResumedWhereItBrokeOff() throws IOException {
        String blob = HubFixture.sha256(weights);
        hub.breakOnce.add(blob);
        try (Storage storage = storage(null)) {
            Path model = storage.fetchDirectory("hf://acme/tiny-llama");
            assertArrayEquals(weights, Files.readAllBytes(model.resolve("model.safetensors")));
            assertEquals(2, hub.cdnRequests.size(), hub.cdnRequests.toString());
            assertEquals("GET /blobs/" + blob, hub.cdnRequests.get(0));
            assertTrue(hub.cdnRequests.get(1).matches("GET /blobs/" + blob + " bytes=[1-9][0-9]*-"),
                    hub.cdnRequests.toString());
        }
    }

    @Test
    void aCorruptedDownloadIsRejectedAndNotKept() {
        try (Storage storage = storage(null)) {
            StorageException e = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("hf://acme/corrupt"));
            assertTrue(e.getMessage().startsWith("checksum mismatch for hf://acme/corrupt@" + HubFixture.COMMIT
                    + "/model.safetensors: the hub reports sha256 " + HubFixture.sha256(Arrays.copyOf(weights, 1000))),
                    e.getMessage());
            Path snapshot = tmp.resolve("cache/hf/models/acme--corrupt/snapshots/" + HubFixture.COMMIT);
            assertFalse(Files.exists(snapshot.resolve("model.safetensors")));
            assertFalse(Files.exists(snapshot.resolve("model.safetensors.incomplete")));
        }
    }

    @Test
    void aGatedRepositoryNeedsTheTokenWhichNeverReachesTheCdn() throws IOException {
        try (Storage anonymous = storage(null)) {
            StorageException e = assertThrows(StorageException.class,
                    () -> anonymous.fetchDirectory("hf://acme/gated"));
            assertTrue(e.getMessage().contains("model acme/gated is gated or private"), e.getMessage());
            assertTrue(e.getMessage().contains("set a token in HF_TOKEN"), e.getMessage());
        }
        hub.hubRequests.clear();
        try (Storage withToken = storage(HubFixture.TOKEN)) {
            Path model = withToken.fetchDirectory("hf://acme/gated");
            assertArrayEquals(new byte[] {9, 9, 9}, Files.readAllBytes(model.resolve("model.safetensors")));
            assertTrue(hub.hubRequests.stream().allMatch(r -> r.endsWith("[auth]")), hub.hubRequests.toString());
            assertFalse(hub.cdnRequests.isEmpty());
            assertTrue(hub.cdnRequests.stream().noneMatch(r -> r.contains("[auth]")), hub.cdnRequests.toString());
        }
    }

    @Test
    void missingRepositoriesRevisionsAndFilesAreNamed() {
        try (Storage storage = storage(null)) {
            StorageException repo = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("hf://acme/nope"));
            assertTrue(repo.getMessage().contains("model acme/nope not found on " + hub.endpoint()), repo.getMessage());
            StorageException revision = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("hf://acme/tiny-llama@v9"));
            assertTrue(revision.getMessage().contains("revision 'v9' not found in model acme/tiny-llama"),
                    revision.getMessage());
            StorageException file = assertThrows(StorageException.class,
                    () -> storage.fetchFile("hf://datasets/acme/chat/data/test.jsonl"));
            assertTrue(file.getMessage().contains("file 'data/test.jsonl' not found in dataset acme/chat"),
                    file.getMessage());
            StorageException pickles = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("hf://acme/pickles"));
            assertTrue(pickles.getMessage().contains("has no .safetensors weights (only [pytorch_model.bin])"),
                    pickles.getMessage());
        }
    }

    @Test
    void fetchesADatasetFileAtARevisionThroughAProxyPath() throws IOException {
        Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint() + HubFixture.PROXY_PREFIX + "/",
                "KUBELORA_CACHE_DIR", tmp.resolve("cache").toString());
        try (Storage storage = Storage.fromEnvironment(env, tmp)) {
            Path file = storage.fetchFile("hf://datasets/acme/chat@main/data/train.jsonl");
            assertEquals("{\"text\": \"hello\"}\n", Files.readString(file));
            assertTrue(file.endsWith(Path.of("hf/datasets/acme--chat/snapshots", HubFixture.COMMIT,
                    "data/train.jsonl")), file.toString());
            assertTrue(hub.hubRequests.stream().allMatch(r -> r.contains(" " + HubFixture.PROXY_PREFIX + "/")),
                    hub.hubRequests.toString());
            assertThrows(StorageException.class, () -> storage.publish("hf://acme/tiny-llama", "adapter"));
        }
    }

    @Test
    void offlineModeUsesWhatAnEarlierRunCached() throws IOException {
        Path model;
        Path data;
        try (Storage online = storage(null)) {
            model = online.fetchDirectory("hf://acme/tiny-llama");
            data = online.fetchFile("hf://datasets/acme/chat/data/train.jsonl");
        }
        hub.close();
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.put("KUBELORA_CACHE_DIR", tmp.resolve("cache").toString());
        env.put("HF_HUB_OFFLINE", "1");
        try (Storage offline = Storage.fromEnvironment(env, tmp)) {
            assertEquals(model, offline.fetchDirectory("hf://acme/tiny-llama@main"));
            assertEquals(model, offline.fetchDirectory("hf://acme/tiny-llama@" + HubFixture.COMMIT));
            assertEquals(data, offline.fetchFile("hf://datasets/acme/chat/data/train.jsonl"));
            StorageException e = assertThrows(StorageException.class,
                    () -> offline.fetchDirectory("hf://acme/gated"));
            assertTrue(e.getMessage().startsWith("HF_HUB_OFFLINE is set but hf://acme/gated is not in the cache"),
                    e.getMessage());
        }
    }

    @Test
    void parsesRepositoryUris() {
        assertEquals(new HfLocation(false, "acme/m", "main", ""), HfLocation.parse("hf://acme/m"));
        assertEquals(new HfLocation(false, "gpt2", "main", ""), HfLocation.parse("hf://gpt2"));
        assertEquals(new HfLocation(false, "acme/m", "refs/pr/1", ""), HfLocation.parse("hf://acme/m@refs%2Fpr%2F1"));
        assertEquals(new HfLocation(true, "acme/d", "v1.0", "a/b.jsonl"),
                HfLocation.parse("hf://datasets/acme/d@v1.0/a/b.jsonl"));
        assertThrows(StorageException.class, () -> HfLocation.parse("hf://"));
        assertThrows(StorageException.class, () -> HfLocation.parse("hf://acme/bad name"));
        assertThrows(StorageException.class, () -> HfLocation.parse("hf://acme/m@"));
        assertThrows(StorageException.class, () -> HfLocation.parse("hf://datasets/acme/d/../x.jsonl"));
        assertTrue(HfStore.isModelFile("model-00001-of-00002.safetensors"));
        assertTrue(HfStore.isModelFile("tokenizer_config.json"));
        assertFalse(HfStore.isModelFile("pytorch_model.bin"));
        assertFalse(HfStore.isModelFile("original/consolidated.safetensors"));
        assertFalse(HfStore.isModelFile("model.gguf"));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
