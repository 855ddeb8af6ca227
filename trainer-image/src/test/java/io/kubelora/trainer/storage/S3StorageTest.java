package io.kubelora.trainer.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** Storage against a real S3 API server (s3proxy) running in this JVM. */
class S3StorageTest {

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyServer server;
    private static S3Client raw;

    @TempDir
    Path tmp;
    private String bucket;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
        raw = server.rawClient();
    }

    @AfterAll
    static void stopServer() throws Exception {
        raw.close();
        server.close();
    }

    @BeforeEach
    void newBucket() {
        bucket = "bucket-" + BUCKETS.incrementAndGet();
        raw.createBucket(b -> b.bucket(bucket));
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(server.env());
        env.put("KUBELORA_CACHE_DIR", tmp.resolve("cache").toString());
        env.put("KUBELORA_S3_PART_SIZE", "5MiB");
        env.put("KUBELORA_S3_CONCURRENCY", "4");
        return env;
    }

    private Storage storage() {
        return Storage.fromEnvironment(env(), tmp);
    }

    @Test
    void modelConfigComesAloneBeforeTheWeights() throws IOException {
        raw.putObject(PutObjectRequest.builder().bucket(bucket).key("models/tiny/config.json").build(),
                RequestBody.fromString("{\"model_type\": \"llama\"}"));
        raw.putObject(PutObjectRequest.builder().bucket(bucket).key("models/tiny/model.safetensors").build(),
                RequestBody.fromBytes(randomBytes(50_000, 3)));
        try (Storage storage = storage()) {
            Path config = storage.fetchModelConfig("s3://" + bucket + "/models/tiny");
            assertEquals("{\"model_type\": \"llama\"}", Files.readString(config));
            assertFalse(Files.exists(config.resolveSibling("model.safetensors")), "no weights were downloaded");
            Path model = storage.fetchDirectory("s3://" + bucket + "/models/tiny/");
            assertEquals(config.getParent(), model);
            assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
            StorageException none = assertThrows(StorageException.class,
                    () -> storage.fetchModelConfig("s3://" + bucket + "/models/other"));
            assertTrue(none.getMessage().contains("config.json"), none.getMessage());
        }
    }

    @Test
    void uploadsAndDownloadsAFolder() throws IOException {
        Path source = tmp.resolve("source");
        write(source.resolve("adapter_config.json"), "{\"r\": 8}");
        write(source.resolve("nested/deeper/notes.txt"), "hello");
        byte[] weights = randomBytes(300_000, 1);
        Files.write(source.resolve("adapter_model.safetensors"), weights);

        try (Storage storage = storage()) {
            String folder = "s3://" + bucket + "/runs/a/checkpoints/step-10";
            storage.uploadDirectory(source, folder);
            assertEquals(List.of("adapter_config.json", "adapter_model.safetensors", "nested"),
                    storage.list(folder));
            assertEquals(List.of("step-10"), storage.list("s3://" + bucket + "/runs/a/checkpoints/"));

            Path copy = storage.downloadDirectory(folder, tmp.resolve("copy"));
            assertArrayEquals(weights, Files.readAllBytes(copy.resolve("adapter_model.safetensors")));
            assertEquals("hello", Files.readString(copy.resolve("nested/deeper/notes.txt")));

            assertEquals(List.of("adapter_config.json", "adapter_model.safetensors", "nested/deeper/notes.txt"),
                    storage.deletePublished(folder), "a plain copy has no manifest: nothing in it is KubeLoRA's");
            assertEquals(3, storage.list(folder).size());
            storage.deleteFiles(folder, List.of("adapter_config.json", "adapter_model.safetensors",
                    "nested/deeper/notes.txt"));
            assertEquals(List.of(), storage.list(folder));
            assertEquals(List.of(), storage.list("s3://" + bucket + "/runs/a/checkpoints"));
        }
    }

    @Test
    void bigFilesGoUpInPartsAndComeDownInParallelRanges() throws IOException {
        long partSize = 5L << 20;
        byte[] data = randomBytes((int) (2 * partSize + 12_345), 2);
        Path file = tmp.resolve("model-00001-of-00001.safetensors");
        Files.write(file, data);
        List<SdkRequest> requests = RecordingS3Client.newLog();
        S3Settings settings = S3Settings.fromEnvironment(env());
        try (S3Store store = new S3Store(settings, RecordingS3Client.wrap(settings.newClient(), requests),
                tmp.resolve("cache"))) {
            S3Location key = new S3Location(bucket, "models/m/" + file.getFileName());
            store.uploadFile(file, key);
            assertEquals(1, requests.stream().filter(r -> r instanceof CreateMultipartUploadRequest).count());
            assertEquals(List.of(1, 2, 3), requests.stream().filter(r -> r instanceof UploadPartRequest)
                    .map(r -> ((UploadPartRequest) r).partNumber()).sorted().toList());
            String etag = raw.headObject(b -> b.bucket(bucket).key(key.key())).eTag();
            assertTrue(etag.replace("\"", "").endsWith("-3"), "multipart ETag, was " + etag);

            requests.clear();
            Path fetched = store.fetchDirectory(new S3Location(bucket, "models/m"));
            assertArrayEquals(data, Files.readAllBytes(fetched.resolve(file.getFileName().toString())));
            List<String> ranges = requests.stream().filter(r -> r instanceof GetObjectRequest)
                    .map(r -> ((GetObjectRequest) r).range()).sorted().toList();
            assertEquals(List.of("bytes=0-5242879", "bytes=10485760-10498104", "bytes=5242880-10485759"), ranges);

            requests.clear();
            store.fetchDirectory(new S3Location(bucket, "models/m"));
            assertFalse(requests.stream().anyMatch(r -> r instanceof GetObjectRequest),
                    "a current cached copy is not downloaded again");
        }
    }

    @Test
    void runsFetchingTheSameFolderAtOnceDownloadItOnce() throws Exception {
        byte[] data = randomBytes((int) (2 * (5L << 20) + 777), 3);
        raw.putObject(r -> r.bucket(bucket).key("models/shared/model.safetensors"), RequestBody.fromBytes(data));
        raw.putObject(r -> r.bucket(bucket).key("models/shared/config.json"), RequestBody.fromString("{}"));
        List<SdkRequest> requests = RecordingS3Client.newLog();
        S3Settings settings = S3Settings.fromEnvironment(env());
        // Two runs (two pods in a cluster, each with its own client) sharing one cache folder.
        List<Path> fetched = Together.twice(() -> {
            try (S3Store store = new S3Store(settings, RecordingS3Client.wrap(settings.newClient(), requests, 200),
                    tmp.resolve("cache"))) {
                return store.fetchDirectory(new S3Location(bucket, "models/shared"));
            }
        }, 60);
        Path model = fetched.get(0);
        assertEquals(model, fetched.get(1));
        assertArrayEquals(data, Files.readAllBytes(model.resolve("model.safetensors")));
        assertEquals(4, requests.stream().filter(r -> r instanceof GetObjectRequest).count(),
                "three ranges of the weights and the config, once: the second run reuses the first's download");
        try (Stream<Path> files = Files.list(model)) {
            assertEquals(List.of("config.json", "model.safetensors"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void publicationIsCompleteOnlyAfterCommitAndTheManifestIsWrittenLast() throws IOException {
        Path adapter = tmp.resolve("adapter_model.safetensors");
        Files.write(adapter, randomBytes(70_000, 3));
        Path config = tmp.resolve("adapter_config.json");
        write(config, "{\"peft_type\": \"LORA\"}");
        String output = "s3://" + bucket + "/out/run-1";
        List<SdkRequest> requests = RecordingS3Client.newLog();
        S3Settings settings = S3Settings.fromEnvironment(env());
        try (Storage storage = storage();
             S3Store store = new S3Store(settings, RecordingS3Client.wrap(settings.newClient(), requests),
                     tmp.resolve("cache"))) {
            Publication publication = store.publish(S3Location.parse(output), "adapter");
            publication.addFile("adapter_model.safetensors", adapter);
            publication.addFile("adapter_config.json", config);

            StorageException early = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory(output + "/adapter"));
            assertTrue(early.getMessage().contains("is incomplete"), early.getMessage());

            assertEquals(output + "/adapter", publication.commit());
            List<String> puts = requests.stream().filter(r -> r instanceof PutObjectRequest)
                    .map(r -> ((PutObjectRequest) r).key()).toList();
            assertEquals("out/run-1/adapter/" + CompletionManifest.IN_PROGRESS, puts.get(0));
            assertEquals("out/run-1/adapter/" + CompletionManifest.COMPLETE, puts.get(puts.size() - 1));
            assertEquals(List.of(CompletionManifest.COMPLETE, "adapter_config.json", "adapter_model.safetensors"),
                    storage.list(output + "/adapter"), "the in-progress marker is gone");

            CompletionManifest manifest = CompletionManifest.parse(
                    storage.readString(output + "/adapter/" + CompletionManifest.COMPLETE), "manifest");
            assertEquals(Digests.sha256(adapter), manifest.byPath().get("adapter_model.safetensors").sha256());
            assertEquals(70_000, manifest.byPath().get("adapter_model.safetensors").size());

            Path fetched = storage.fetchDirectory(output + "/adapter");
            assertArrayEquals(Files.readAllBytes(adapter), Files.readAllBytes(fetched.resolve(
                    "adapter_model.safetensors")));
            assertFalse(Files.exists(fetched.resolve(CompletionManifest.COMPLETE)));
        }
    }

    @Test
    void republishingReplacesTheOldVersionAndAbandoningCleansUp() throws IOException {
        Path a = tmp.resolve("a.txt");
        Path b = tmp.resolve("b.txt");
        String output = "s3://" + bucket + "/out";
        try (Storage storage = storage()) {
            write(a, "first a");
            write(b, "first b");
            storage.publishDirectory(output, "merged", writeFolder("v1", Map.of("a.txt", "first a", "b.txt",
                    "first b")));
            storage.publishDirectory(output, "merged", writeFolder("v2", Map.of("a.txt", "second a")));
            Path fetched = storage.fetchDirectory(output + "/merged");
            assertEquals("second a", Files.readString(fetched.resolve("a.txt")));
            assertFalse(Files.exists(fetched.resolve("b.txt")), "stale files of v1 are gone from the cache");
            assertEquals(List.of(CompletionManifest.COMPLETE, "a.txt"), storage.list(output + "/merged"));

            try (Publication abandoned = storage.publish(output, "never")) {
                abandoned.addFile("a.txt", a);
            }
            assertEquals(List.of(), storage.list(output + "/never"));
        }
    }

    /** As on a file system: a folder holding an object KubeLoRA did not write is neither replaced nor emptied. */
    @Test
    void objectsKubeLoraDidNotWriteAreNeverReplacedOrDeleted() throws IOException {
        String output = "s3://" + bucket + "/out";
        try (Storage storage = storage()) {
            storage.publishDirectory(output, "adapter", writeFolder("v", Map.of("w.bin", "0123456789")));
            raw.putObject(r -> r.bucket(bucket).key("out/adapter/notes.txt"), RequestBody.fromString("mine"));
            StorageException refused = assertThrows(StorageException.class, () -> storage.publishDirectory(output,
                    "adapter", writeFolder("v2", Map.of("w.bin", "9876543210"))));
            assertTrue(refused.getMessage().startsWith("refusing to replace " + output + "/adapter: it holds notes.txt"),
                    refused.getMessage());
            assertEquals(List.of("notes.txt"), storage.deletePublished(output + "/adapter"));
            assertEquals(List.of("notes.txt"), storage.list(output + "/adapter"));
            raw.putObject(r -> r.bucket(bucket).key("out/theirs/a.txt"), RequestBody.fromString("a"));
            assertThrows(StorageException.class, () -> storage.publishDirectory(output, "theirs",
                    writeFolder("v3", Map.of("a.txt", "b"))), "a folder without a manifest is not KubeLoRA's");
        }
    }

    @Test
    void aFileChangedAfterPublicationFailsTheChecksum() throws IOException {
        String output = "s3://" + bucket + "/out";
        try (Storage storage = storage()) {
            storage.publishDirectory(output, "adapter", writeFolder("v", Map.of("w.bin", "0123456789")));
            raw.putObject(r -> r.bucket(bucket).key("out/adapter/w.bin"), RequestBody.fromString("0123456780"));
            StorageException e = assertThrows(StorageException.class, () -> storage.fetchDirectory(output
                    + "/adapter"));
            assertTrue(e.getMessage().contains("checksum mismatch for s3://" + bucket + "/out/adapter/w.bin"),
                    e.getMessage());
        }
    }

    @Test
    void aThirdPartyFolderWithoutManifestIsReadAsItIs() throws IOException {
        raw.putObject(r -> r.bucket(bucket).key("hub/llama/config.json"), RequestBody.fromString("{}"));
        raw.putObject(r -> r.bucket(bucket).key("hub/llama/"), RequestBody.empty());
        raw.putObject(r -> r.bucket(bucket).key("data/train.jsonl"), RequestBody.fromString("{\"text\":\"x\"}\n"));
        try (Storage storage = storage()) {
            Path model = storage.fetchDirectory("s3://" + bucket + "/hub/llama/");
            assertEquals("{}", Files.readString(model.resolve("config.json")));
            try (var children = Files.list(model)) {
                assertEquals(1, children.count());
            }
            Path data = storage.fetchFile("s3://" + bucket + "/data/train.jsonl");
            assertEquals("{\"text\":\"x\"}\n", Files.readString(data));
            storage.writeString("s3://" + bucket + "/data/summary.json", "{\"loss\": 1.5}");
            assertEquals("{\"loss\": 1.5}", storage.readString("s3://" + bucket + "/data/summary.json"));
        }
    }

    @Test
    void aWrongSecretIsReportedAsAccessDenied() {
        Map<String, String> env = env();
        env.put("AWS_SECRET_ACCESS_KEY", "not-the-secret");
        try (Storage storage = Storage.fromEnvironment(env, tmp)) {
            StorageException e = assertThrows(StorageException.class,
                    () -> storage.fetchFile("s3://" + bucket + "/data/train.jsonl"));
            assertTrue(e.getMessage().startsWith("access denied to s3://" + bucket + "/data/train.jsonl"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("check AWS_ACCESS_KEY_ID"), e.getMessage());
        }
    }

    @Test
    void missingKeysAndBucketsAreNamed() {
        try (Storage storage = storage()) {
            StorageException key = assertThrows(StorageException.class,
                    () -> storage.fetchFile("s3://" + bucket + "/data/missing.jsonl"));
            assertTrue(key.getMessage().startsWith("s3://" + bucket + "/data/missing.jsonl not found"),
                    key.getMessage());
            StorageException folder = assertThrows(StorageException.class,
                    () -> storage.fetchDirectory("s3://" + bucket + "/no/such/model"));
            assertTrue(folder.getMessage().contains("s3://" + bucket + "/no/such/model is empty or does not exist"),
                    folder.getMessage());
            StorageException noBucket = assertThrows(StorageException.class,
                    () -> storage.list("s3://no-such-bucket/x"));
            assertTrue(noBucket.getMessage().startsWith("bucket 'no-such-bucket' does not exist"),
                    noBucket.getMessage());
        }
    }

    @Test
    void theServiceSpecificEndpointVariableWinsOverTheGeneralOne() throws IOException {
        raw.putObject(r -> r.bucket(bucket).key("x.txt"), RequestBody.fromString("via endpoint"));
        Map<String, String> env = env();
        env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:9"); // nothing listens on the discard port
        env.put("AWS_ENDPOINT_URL_S3", server.endpoint().toString());
        try (Storage storage = Storage.fromEnvironment(env, tmp)) {
            assertEquals("via endpoint", Files.readString(storage.fetchFile("s3://" + bucket + "/x.txt")));
        }
        env.remove("AWS_ENDPOINT_URL_S3");
        env.put("KUBELORA_S3_CONCURRENCY", "1");
        try (Storage storage = Storage.fromEnvironment(env, tmp)) {
            StorageException e = assertThrows(StorageException.class, () -> storage.list("s3://" + bucket + "/"));
            assertTrue(e.getMessage().contains("http://127.0.0.1:9"), e.getMessage());
        }
    }

    private Path writeFolder(String name, Map<String, String> files) throws IOException {
        Path dir = tmp.resolve(name);
        for (var e : files.entrySet()) {
            write(dir.resolve(e.getKey()), e.getValue());
        }
        return dir;
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
