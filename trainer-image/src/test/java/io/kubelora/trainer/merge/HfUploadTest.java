package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubelora.trainer.storage.HfUpload;
import io.kubelora.trainer.storage.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HfUpload against an in-process fake of the hub's upload API. The fake checks what it receives (token on hub
 * calls and only there, samples, sizes, SHA-256 of every LFS object, part ETags, the NDJSON commit) and keeps the
 * committed files, which must equal the local folder byte for byte.
 */
class HfUploadTest {

    private static final String TOKEN = "hf_test_token";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** LFS objects above this size are uploaded in parts of {@link #PART_SIZE}. */
    private static final int MULTIPART_ABOVE = 50_000;
    private static final int PART_SIZE = 20_000;

    @TempDir
    Path tmp;
    private HttpServer server;
    private String hub;
    private String storage;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, byte[]> lfsObjects = new ConcurrentHashMap<>();
    private final Map<String, TreeMap<Integer, byte[]>> parts = new ConcurrentHashMap<>();
    private final Map<String, byte[]> committed = new TreeMap<>();
    private final List<String> created = new ArrayList<>();
    private String summary;

    @BeforeEach
    void startHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int port = server.getAddress().getPort();
        hub = "http://127.0.0.1:" + port;
        storage = "http://localhost:" + port; // another host name: presigned URLs must not get the token
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stopHub() {
        server.stop(0);
    }

    @Test
    void uploadsAFolderAsOneCommitWithLargeFilesThroughLfs() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("merged"));
        Files.writeString(folder.resolve("config.json"), "{\"torch_dtype\": \"bfloat16\"}");
        Files.writeString(folder.resolve("tokenizer.json"), "{\"model\": {}}");
        Files.write(folder.resolve("model-00001-of-00002.safetensors"), randomBytes(30_000, 1));  // basic PUT
        Files.write(folder.resolve("model-00002-of-00002.safetensors"), randomBytes(70_001, 2));  // 4 parts
        Files.writeString(folder.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        Files.writeString(folder.resolve("scratch.tmp"), "the fake hub's .gitignore matches *.tmp");

        String uri = HfUpload.fromEnvironment(Map.of("HF_ENDPOINT", hub + "/", "HF_TOKEN", TOKEN))
                .uploadFolder(folder, "hf://acme/tiny-merged", "Merge adapter");

        assertEquals(List.of(), problems);
        assertEquals("hf://acme/tiny-merged", uri);
        assertEquals(List.of("acme/tiny-merged"), created);
        assertEquals("Merge adapter", summary);
        try (Stream<Path> files = Files.list(folder)) {
            Map<String, byte[]> expected = new TreeMap<>();
            for (Path f : files.filter(p -> !p.toString().endsWith(".tmp")).toList()) {
                expected.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
            assertEquals(expected.keySet(), committed.keySet());
            expected.forEach((name, bytes) -> assertArrayEquals(bytes, committed.get(name), name));
        }
        assertEquals(4, parts.values().iterator().next().size(), "70001 bytes in 20000-byte parts");
    }

    @Test
    void aRefusedTokenIsReportedWithAHint() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("merged"));
        Files.writeString(folder.resolve("config.json"), "{}");
        HfUpload upload = HfUpload.fromEnvironment(Map.of("HF_ENDPOINT", hub, "HF_TOKEN", "wrong"));
        StorageException e = assertThrows(StorageException.class,
                () -> upload.uploadFolder(folder, "hf://acme/tiny-merged", "x"));
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(committed.isEmpty());
    }

    @Test
    void aTokenIsRequiredAndTheTargetMustBeAModelRepository() {
        assertThrows(StorageException.class, () -> HfUpload.fromEnvironment(Map.of("HF_ENDPOINT", hub)));
        HfUpload upload = HfUpload.fromEnvironment(Map.of("HF_ENDPOINT", hub, "HF_TOKEN", TOKEN));
        assertThrows(StorageException.class, () -> upload.uploadFolder(tmp, "hf://datasets/acme/data", "x"));
        assertThrows(StorageException.class, () -> upload.uploadFolder(tmp, "hf://acme/repo/sub/folder", "x"));
    }

    // ---- the fake hub ----

    private void handle(HttpExchange ex) throws IOException {
        try {
            byte[] body = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            String host = ex.getRequestHeaders().getFirst("Host");
            boolean onHub = host != null && host.startsWith("127.0.0.1");
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (onHub && !("Bearer " + TOKEN).equals(auth)) {
                respond(ex, 401, "{\"error\": \"Invalid credentials\"}");
                return;
            }
            if (!onHub && auth != null) {
                problems.add("token sent to the storage URL " + path);
            }
            if (path.equals("/api/repos/create")) {
                JsonNode req = JSON.readTree(body);
                String id = req.path("organization").asText() + "/" + req.path("name").asText();
                if (created.contains(id)) {
                    respond(ex, 409, "{\"error\": \"exists\"}");
                } else {
                    created.add(id);
                    respond(ex, 200, "{\"url\": \"" + hub + "/" + id + "\"}");
                }
            } else if (path.equals("/api/models/acme/tiny-merged/preupload/main")) {
                ObjectNode answer = JSON.createObjectNode();
                ArrayNode files = answer.putArray("files");
                for (JsonNode f : JSON.readTree(body).path("files")) {
                    if (Base64.getDecoder().decode(f.path("sample").asText()).length > 512) {
                        problems.add("sample of " + f.path("path") + " longer than 512 bytes");
                    }
                    boolean lfs = f.path("path").asText().endsWith(".safetensors");
                    files.addObject().put("path", f.path("path").asText()).put("uploadMode", lfs ? "lfs" : "regular")
                            .put("shouldIgnore", f.path("path").asText().endsWith(".tmp"));
                }
                respond(ex, 200, answer.toString());
            } else if (path.equals("/acme/tiny-merged.git/info/lfs/objects/batch")) {
                batch(ex, JSON.readTree(body));
            } else if (path.startsWith("/lfs-upload/")) {
                String oid = path.substring("/lfs-upload/".length());
                checkSha(oid, body);
                lfsObjects.put(oid, body);
                respond(ex, 200, "");
            } else if (path.startsWith("/lfs-part/")) {
                String[] p = path.substring("/lfs-part/".length()).split("/");
                parts.computeIfAbsent(p[0], k -> new TreeMap<>()).put(Integer.parseInt(p[1]), body);
                ex.getResponseHeaders().add("ETag", "\"etag-" + p[1] + "\"");
                respond(ex, 200, "");
            } else if (path.startsWith("/lfs-complete/")) {
                complete(ex, path.substring("/lfs-complete/".length()), JSON.readTree(body));
            } else if (path.equals("/lfs-verify")) {
                JsonNode req = JSON.readTree(body);
                byte[] stored = lfsObjects.get(req.path("oid").asText());
                if (stored == null || stored.length != req.path("size").asLong()) {
                    problems.add("verify of an object that was not stored: " + req);
                }
                respond(ex, 200, "{}");
            } else if (path.equals("/api/models/acme/tiny-merged/commit/main")) {
                commit(ex, new String(body, StandardCharsets.UTF_8));
            } else {
                problems.add("unexpected " + ex.getRequestMethod() + " " + path);
                respond(ex, 404, "{}");
            }
        } catch (RuntimeException | IOException e) {
            problems.add("fixture failed: " + e);
            respond(ex, 500, "{}");
        }
    }

    private void batch(HttpExchange ex, JsonNode req) throws IOException {
        if (!"application/vnd.git-lfs+json".equals(ex.getRequestHeaders().getFirst("Accept"))
                || !"upload".equals(req.path("operation").asText()) || !"main".equals(req.path("ref").path("name")
                .asText()) || !"sha256".equals(req.path("hash_algo").asText())) {
            problems.add("malformed LFS batch request: " + req);
        }
        ObjectNode answer = JSON.createObjectNode().put("transfer", "basic");
        ArrayNode objects = answer.putArray("objects");
        for (JsonNode o : req.path("objects")) {
            String oid = o.path("oid").asText();
            long size = o.path("size").asLong();
            ObjectNode object = objects.addObject().put("oid", oid).put("size", size);
            ObjectNode actions = object.putObject("actions");
            ObjectNode upload = actions.putObject("upload");
            if (size > MULTIPART_ABOVE) {
                upload.put("href", hub + "/lfs-complete/" + oid);
                ObjectNode header = upload.putObject("header").put("chunk_size", Integer.toString(PART_SIZE));
                for (int part = 1; (long) (part - 1) * PART_SIZE < size; part++) {
                    header.put(String.format("%05d", part), storage + "/lfs-part/" + oid + "/" + part);
                }
            } else {
                upload.put("href", storage + "/lfs-upload/" + oid);
                upload.putObject("header").put("Content-Type", "application/octet-stream");
            }
            actions.putObject("verify").put("href", hub + "/lfs-verify");
        }
        respond(ex, 200, answer.toString());
    }

    private void complete(HttpExchange ex, String oid, JsonNode req) throws IOException {
        TreeMap<Integer, byte[]> received = parts.getOrDefault(oid, new TreeMap<>());
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        int expectedPart = 1;
        for (JsonNode p : req.path("parts")) {
            int number = p.path("partNumber").asInt();
            if (number != expectedPart++ || !("\"etag-" + number + "\"").equals(p.path("etag").asText())
                    || !received.containsKey(number)) {
                problems.add("bad part list for " + oid + ": " + req);
            }
            whole.writeBytes(received.getOrDefault(number, new byte[0]));
        }
        checkSha(oid, whole.toByteArray());
        lfsObjects.put(oid, whole.toByteArray());
        respond(ex, 200, "{}");
    }

    private void commit(HttpExchange ex, String ndjson) throws IOException {
        if (!"application/x-ndjson".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
            problems.add("commit content type " + ex.getRequestHeaders().getFirst("Content-Type"));
        }
        List<String> lines = ndjson.lines().toList();
        JsonNode header = JSON.readTree(lines.get(0));
        if (!"header".equals(header.path("key").asText())) {
            problems.add("commit does not start with its header: " + lines.get(0));
        }
        summary = header.path("value").path("summary").asText();
        for (String line : lines.subList(1, lines.size())) {
            JsonNode op = JSON.readTree(line);
            JsonNode value = op.path("value");
            switch (op.path("key").asText()) {
                case "file" -> {
                    if (!"base64".equals(value.path("encoding").asText())) {
                        problems.add("file without base64 encoding: " + line);
                    }
                    committed.put(value.path("path").asText(),
                            Base64.getDecoder().decode(value.path("content").asText()));
                }
                case "lfsFile" -> {
                    byte[] object = lfsObjects.get(value.path("oid").asText());
                    if (object == null || !"sha256".equals(value.path("algo").asText())
                            || object.length != value.path("size").asLong()) {
                        problems.add("lfsFile pointing at no uploaded object: " + line);
                    } else {
                        committed.put(value.path("path").asText(), object);
                    }
                }
                default -> problems.add("unknown commit operation: " + line);
            }
        }
        respond(ex, 200, "{\"commitOid\": \"0123abcd\", \"commitUrl\": \"" + hub
                + "/acme/tiny-merged/commit/0123abcd\"}");
    }

    private void checkSha(String oid, byte[] data) {
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            if (!sha.equals(oid)) {
                problems.add("object " + oid + " arrived with SHA-256 " + sha);
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
