package io.kubelora.trainer.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Uploads a local folder to a Hugging Face Hub model repository as one commit, through the hub's HTTP API:
 * create the repository if missing ({@code POST /api/repos/create}), ask which files go through LFS
 * ({@code POST /api/models/{repo}/preupload/{rev}}), upload those to the storage the LFS batch API hands out
 * ({@code POST /{repo}.git/info/lfs/objects/batch}, then a PUT per file, or per part for multipart, and the
 * optional verify call), and commit everything at once ({@code POST /api/models/{repo}/commit/{rev}}, NDJSON:
 * a header line, an {@code lfsFile} line per LFS file, a {@code file} line with base64 content per small file).
 * The token ({@code HF_TOKEN}) is only ever sent to the hub itself, never to the presigned upload URLs.
 */
public final class HfUpload {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LFS_JSON = "application/vnd.git-lfs+json";
    private static final int PREUPLOAD_BATCH = 100;
    private static final int SAMPLE_BYTES = 512;
    private static final int MAX_ATTEMPTS = 3;
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(30);

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    /** How the hub wants a file: through LFS, inline in the commit, or not at all (matched by .gitignore). */
    private enum UploadMode { LFS, REGULAR, IGNORED }

    /** One file of the folder with what the hub needs to know about it. */
    private record LocalFile(String path, Path file, long size, String sha256) {
    }

    HfUpload(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Endpoint from {@code HF_ENDPOINT} (default huggingface.co), token from {@code HF_TOKEN} (required). */
    public static HfUpload fromEnvironment(Map<String, String> env) {
        String endpointText = env.getOrDefault("HF_ENDPOINT", "");
        URI endpoint;
        try {
            String text = endpointText.isBlank() ? DEFAULT_ENDPOINT : endpointText.trim().replaceAll("/+$", "");
            endpoint = URI.create(text);
            if (endpoint.getHost() == null || !List.of("http", "https").contains(endpoint.getScheme())) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new StorageException("HF_ENDPOINT must be an http(s) URL like " + DEFAULT_ENDPOINT + ", was '"
                    + endpointText + "'", e);
        }
        String token = env.get("HF_TOKEN");
        if (token == null || token.isBlank()) {
            throw new StorageException("uploading to the Hugging Face Hub needs a write token in HF_TOKEN");
        }
        return new HfUpload(endpoint, token.trim());
    }

    /**
     * Uploads every file under {@code folder} to {@code hfUri} ({@code hf://org/repo[@revision]}) in one commit,
     * creating the repository (private) when it does not exist; returns the URI of what was committed.
     */
    public String uploadFolder(Path folder, String hfUri, String summary) {
        HfLocation repo = HfLocation.parse(hfUri);
        if (repo.dataset() || !repo.path().isEmpty() || !repo.repoId().contains("/")) {
            throw new StorageException("'" + hfUri + "' must name a model repository as hf://<org>/<repo>[@revision]");
        }
        try {
            List<LocalFile> files = scan(folder);
            createRepository(repo);
            Map<String, UploadMode> modes = preupload(repo, files);
            uploadLfs(repo, files.stream().filter(f -> modes.get(f.path()) == UploadMode.LFS).toList());
            commit(repo, files, modes, summary);
            return repo.uri();
        } catch (IOException e) {
            throw new StorageException("uploading " + folder + " to " + hfUri + " failed: " + e.getMessage(), e);
        }
    }

    private static List<LocalFile> scan(Path folder) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(folder)) {
            paths = walk.filter(Files::isRegularFile).sorted().toList();
        }
        if (paths.isEmpty()) {
            throw new StorageException(folder + " holds no files to upload");
        }
        List<LocalFile> files = new ArrayList<>();
        for (Path p : paths) {
            String relative = RelativePaths.require(RelativePaths.of(folder, p));
            files.add(new LocalFile(relative, p, Files.size(p), Digests.sha256(p)));
        }
        return files;
    }

    private void createRepository(HfLocation repo) throws IOException {
        String[] parts = repo.repoId().split("/", 2);
        ObjectNode body = JSON.createObjectNode().put("organization", parts[0]).put("name", parts[1])
                .put("type", "model").put("private", true);
        HttpResponse<String> response = send(hubRequest(endpoint.resolve("/api/repos/create"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), "create " + repo);
        if (response.statusCode() != 409) { // 409: the repository exists already, which is fine
            requireSuccess(response, "creating repository " + repo.repoId());
        }
    }

    /** path -> how the hub wants it uploaded. */
    private Map<String, UploadMode> preupload(HfLocation repo, List<LocalFile> files) throws IOException {
        Map<String, UploadMode> modes = new LinkedHashMap<>();
        URI uri = endpoint.resolve("/api/models/" + repo.repoId() + "/preupload/" + segment(repo.revision()));
        for (int from = 0; from < files.size(); from += PREUPLOAD_BATCH) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode entries = body.putArray("files");
            for (LocalFile f : files.subList(from, Math.min(files.size(), from + PREUPLOAD_BATCH))) {
                entries.addObject().put("path", f.path()).put("size", f.size())
                        .put("sample", Base64.getEncoder().encodeToString(sample(f.file())));
            }
            HttpResponse<String> response = send(hubRequest(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), "preupload");
            requireSuccess(response, "preupload to " + repo);
            for (JsonNode f : JSON.readTree(response.body()).path("files")) {
                modes.put(f.path("path").asText(), f.path("shouldIgnore").asBoolean(false) ? UploadMode.IGNORED
                        : "lfs".equals(f.path("uploadMode").asText()) ? UploadMode.LFS : UploadMode.REGULAR);
            }
        }
        for (LocalFile f : files) {
            if (!modes.containsKey(f.path())) {
                throw new StorageException("the hub's preupload answer for " + repo + " does not mention " + f.path());
            }
        }
        return modes;
    }

    private void uploadLfs(HfLocation repo, List<LocalFile> files) throws IOException {
        if (files.isEmpty()) {
            return;
        }
        ObjectNode body = JSON.createObjectNode().put("operation", "upload").put("hash_algo", "sha256");
        body.putArray("transfers").add("basic").add("multipart");
        body.putObject("ref").put("name", repo.revision());
        ArrayNode objects = body.putArray("objects");
        files.forEach(f -> objects.addObject().put("oid", f.sha256()).put("size", f.size()));
        HttpResponse<String> response = send(hubRequest(endpoint.resolve("/" + repo.repoId()
                + ".git/info/lfs/objects/batch")).header("Accept", LFS_JSON).header("Content-Type", LFS_JSON)
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), "LFS batch");
        requireSuccess(response, "LFS batch for " + repo);
        Map<String, LocalFile> byOid = new LinkedHashMap<>();
        files.forEach(f -> byOid.put(f.sha256(), f));
        for (JsonNode object : JSON.readTree(response.body()).path("objects")) {
            LocalFile file = byOid.get(object.path("oid").asText());
            if (file == null) {
                throw new StorageException("the LFS batch answer names an object that was not asked for: " + object);
            }
            if (object.has("error")) {
                throw new StorageException("the hub refused " + file.path() + ": " + object.path("error"));
            }
            JsonNode actions = object.path("actions");
            JsonNode upload = actions.path("upload");
            if (upload.isMissingNode()) {
                continue; // the hub has this content already
            }
            JsonNode header = upload.path("header");
            if (header.has("chunk_size")) {
                uploadParts(file, upload);
            } else {
                HttpRequest.Builder put = request(URI.create(upload.path("href").asText()))
                        .PUT(HttpRequest.BodyPublishers.ofFile(file.file()));
                headers(put, header);
                requireSuccess(send(put.build(), "upload " + file.path()), "uploading " + file.path());
            }
            JsonNode verify = actions.path("verify");
            if (!verify.isMissingNode()) {
                HttpRequest.Builder post = request(URI.create(verify.path("href").asText()))
                        .header("Content-Type", LFS_JSON)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(JSON.createObjectNode()
                                .put("oid", file.sha256()).put("size", file.size()))));
                headers(post, verify.path("header"));
                requireSuccess(send(post.build(), "verify " + file.path()), "verifying " + file.path());
            }
        }
    }

    /** Multipart: the header holds chunk_size and one presigned URL per part number; the href completes. */
    private void uploadParts(LocalFile file, JsonNode upload) throws IOException {
        JsonNode header = upload.path("header");
        long chunk = header.path("chunk_size").asLong();
        if (chunk <= 0) {
            throw new StorageException("the hub asked for parts of " + chunk + " bytes for " + file.path());
        }
        ObjectNode completion = JSON.createObjectNode().put("oid", file.sha256());
        ArrayNode parts = completion.putArray("parts");
        int part = 0;
        for (long offset = 0; offset < file.size(); offset += chunk) {
            part++;
            JsonNode url = header.get(String.format("%05d", part));
            if (url == null) {
                url = header.get(Integer.toString(part));
            }
            if (url == null) {
                throw new StorageException("the hub gave no upload URL for part " + part + " of " + file.path());
            }
            long from = offset;
            long length = Math.min(chunk, file.size() - offset);
            HttpRequest put = request(URI.create(url.asText())).PUT(HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> openRange(file.file(), from, length)), length))
                    .build();
            String what = "part " + part + " of " + file.path();
            HttpResponse<String> response = send(put, "upload " + what);
            requireSuccess(response, "uploading " + what);
            String etag = response.headers().firstValue("ETag").orElseThrow(() -> new StorageException(
                    "the storage answered " + what + " without an ETag"));
            parts.addObject().put("partNumber", part).put("etag", etag);
        }
        HttpRequest complete = request(URI.create(upload.path("href").asText()))
                .header("Content-Type", LFS_JSON)
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(completion))).build();
        requireSuccess(send(complete, "complete " + file.path()), "completing the upload of " + file.path());
    }

    private void commit(HfLocation repo, List<LocalFile> files, Map<String, UploadMode> modes, String summary)
            throws IOException {
        ByteArrayOutputStream ndjson = new ByteArrayOutputStream();
        line(ndjson, "header", JSON.createObjectNode().put("summary", summary).put("description", ""));
        for (LocalFile f : files) {
            UploadMode mode = modes.get(f.path());
            if (mode == UploadMode.IGNORED) {
                continue;
            }
            if (mode == UploadMode.LFS) {
                line(ndjson, "lfsFile", JSON.createObjectNode().put("path", f.path()).put("algo", "sha256")
                        .put("oid", f.sha256()).put("size", f.size()));
            } else {
                line(ndjson, "file", JSON.createObjectNode().put("path", f.path())
                        .put("content", Base64.getEncoder().encodeToString(Files.readAllBytes(f.file())))
                        .put("encoding", "base64"));
            }
        }
        URI uri = endpoint.resolve("/api/models/" + repo.repoId() + "/commit/" + segment(repo.revision()));
        HttpResponse<String> response = send(hubRequest(uri).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ndjson.toByteArray())).build(), "commit");
        requireSuccess(response, "committing to " + repo);
    }

    private static void line(ByteArrayOutputStream out, String key, ObjectNode value) throws IOException {
        ObjectNode line = JSON.createObjectNode().put("key", key);
        line.set("value", value);
        out.write(JSON.writeValueAsBytes(line));
        out.write('\n');
    }

    private HttpRequest.Builder hubRequest(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("User-Agent", "kubelora")
                .header("Authorization", "Bearer " + token);
    }

    /** A request to a URL the hub handed out: authenticated only when it points back at the hub itself. */
    private HttpRequest.Builder request(URI uri) {
        boolean hub = Objects.equals(uri.getScheme(), endpoint.getScheme()) && Objects.equals(uri.getHost(),
                endpoint.getHost()) && uri.getPort() == endpoint.getPort();
        return hub ? hubRequest(uri)
                : HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("User-Agent", "kubelora");
    }

    private static void headers(HttpRequest.Builder builder, JsonNode header) {
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            builder.header(h.getKey(), h.getValue().asText());
        }
    }

    /** Sends, retrying connection failures and 429 / 5xx answers with a short backoff. */
    private HttpResponse<String> send(HttpRequest request, String what) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if ((status == 429 || status >= 500) && attempt < MAX_ATTEMPTS) {
                    pause(attempt);
                    continue;
                }
                return response;
            } catch (IOException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw new IOException(what + ": " + e.getMessage(), e);
                }
                pause(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(what + " was interrupted", e);
            }
        }
    }

    private static void pause(int attempt) throws IOException {
        try {
            Thread.sleep(500L << attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void requireSuccess(HttpResponse<String> response, String what) {
        int status = response.statusCode();
        if (status / 100 == 2) {
            return;
        }
        String body = Objects.requireNonNullElse(response.body(), "");
        String hint = status == 401 || status == 403 ? " (is HF_TOKEN a token with write access to this repository?)"
                : "";
        throw new StorageException(what + " failed: HTTP " + status + hint
                + (body.isBlank() ? "" : ": " + body.substring(0, Math.min(300, body.length()))));
    }

    private static byte[] sample(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(SAMPLE_BYTES);
        }
    }

    private static InputStream openRange(Path file, long from, long length) {
        try {
            InputStream in = Files.newInputStream(file);
            in.skipNBytes(from);
            return new BoundedInputStream(in, length);
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
