package io.kubelora.trainer.storage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for the Hugging Face Hub with the same URL layout and headers: the revision API, resolve
 * URLs that answer regular files directly (ETag = git blob id) and LFS files with a 302 to a separate "CDN"
 * server (X-Linked-Etag = sha256, X-Linked-Size), Range requests on the CDN, 401 for gated repositories
 * without the token, and 404 with X-Error-Code.
 */
public final class HubFixture implements AutoCloseable {

    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String TOKEN = "hf_test_token";

    /** One file of a repository; {@code served} differs from {@code content} to simulate corruption. */
    public record RepoFile(byte[] content, byte[] served, boolean lfs) {
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Map<String, RepoFile>> repos = new ConcurrentHashMap<>();
    private final Map<String, Boolean> gated = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    /** Blobs whose next full download breaks off halfway (a dropped connection). */
    final java.util.Set<String> breakOnce = ConcurrentHashMap.newKeySet();
    public final List<String> hubRequests = new CopyOnWriteArrayList<>();
    final List<String> cdnRequests = new CopyOnWriteArrayList<>();
    /** How long the CDN takes before it answers a blob request (a slow download). */
    volatile long cdnDelayMillis;

    public HubFixture() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        // Several downloads at once, as from a real CDN.
        cdn.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hub-fixture-cdn");
            t.setDaemon(true);
            return t;
        }));
        hub.start();
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds a repository ("org/name" for models, "datasets/org/name" for datasets). */
    public void addRepo(String repo, boolean isGated, Map<String, RepoFile> files) {
        repos.put(repo, new LinkedHashMap<>(files));
        gated.put(repo, isGated);
        files.values().stream().filter(RepoFile::lfs).forEach(f -> blobs.put(sha256(f.content()), f.served()));
    }

    public static RepoFile regular(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new RepoFile(bytes, bytes, false);
    }

    public static RepoFile lfs(byte[] bytes) {
        return new RepoFile(bytes, bytes, true);
    }

    static RepoFile corruptLfs(byte[] bytes) {
        byte[] served = bytes.clone();
        served[served.length / 2] ^= 0x5a;
        return new RepoFile(bytes, served, true);
    }

    /** Serves the hub below this path too, as repository proxies do (HF_ENDPOINT=https://proxy/some/path). */
    static final String PROXY_PREFIX = "/proxy/hf";

    private void handleHub(HttpExchange ex) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        String path = raw.startsWith(PROXY_PREFIX + "/") ? raw.substring(PROXY_PREFIX.length()) : raw;
        hubRequests.add(ex.getRequestMethod() + " " + raw + auth(ex));
        try (ex) {
            if (path.startsWith("/api/")) {
                api(ex, path.substring("/api/".length()));
            } else {
                resolve(ex, path.substring(1));
            }
        }
    }

    /** /api/{models|datasets}/{org}/{name}/revision/{rev} */
    private void api(HttpExchange ex, String rest) throws IOException {
        String[] parts = rest.split("/");
        String repo = (parts[0].equals("datasets") ? "datasets/" : "") + parts[1] + "/" + parts[2];
        String revision = java.net.URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
        if (!checkRepo(ex, repo, revision)) {
            return;
        }
        List<String> siblings = new ArrayList<>();
        repos.get(repo).keySet().forEach(name -> siblings.add("{\"rfilename\": \"" + name + "\"}"));
        String body = "{\"id\": \"" + repo + "\", \"sha\": \"" + COMMIT + "\", \"siblings\": ["
                + String.join(", ", siblings) + "]}";
        send(ex, 200, Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    /** /{org}/{name}/resolve/{rev}/{file} or /datasets/{org}/{name}/resolve/{rev}/{file} */
    private void resolve(HttpExchange ex, String rest) throws IOException {
        boolean dataset = rest.startsWith("datasets/");
        String[] parts = (dataset ? rest.substring("datasets/".length()) : rest).split("/", 5);
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            send(ex, 404, Map.of(), new byte[0]);
            return;
        }
        String repo = (dataset ? "datasets/" : "") + parts[0] + "/" + parts[1];
        String revision = java.net.URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
        String file = java.net.URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
        if (!checkRepo(ex, repo, revision)) {
            return;
        }
        RepoFile f = repos.get(repo).get(file);
        if (f == null) {
            send(ex, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Error-Message", "Entry not found"),
                    new byte[0]);
            return;
        }
        if (f.lfs()) {
            String sha = sha256(f.content());
            URI cdnUri = URI.create("http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + sha);
            send(ex, 302, Map.of("Location", cdnUri.toString(), "X-Linked-Etag", "\"" + sha + "\"",
                    "X-Linked-Size", Long.toString(f.content().length), "X-Repo-Commit", COMMIT,
                    "ETag", "\"" + sha + "\""), new byte[0]);
            return;
        }
        send(ex, 200, Map.of("ETag", "\"" + gitBlobId(f.content()) + "\"", "X-Repo-Commit", COMMIT),
                f.served());
    }

    private boolean checkRepo(HttpExchange ex, String repo, String revision) throws IOException {
        if (!repos.containsKey(repo)) {
            send(ex, 404, Map.of("X-Error-Code", "RepoNotFound", "X-Error-Message", "Repository not found"),
                    new byte[0]);
            return false;
        }
        if (gated.get(repo) && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, Map.of("X-Error-Code", "GatedRepo", "X-Error-Message", "Access to model " + repo
                    + " is restricted"), new byte[0]);
            return false;
        }
        if (!revision.equals("main") && !revision.equals(COMMIT)) {
            send(ex, 404, Map.of("X-Error-Code", "RevisionNotFound", "X-Error-Message", "Invalid rev id"),
                    new byte[0]);
            return false;
        }
        return true;
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        cdnRequests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + auth(ex)
                + (range == null ? "" : " " + range));
        try (ex) {
            if (cdnDelayMillis > 0) {
                try {
                    Thread.sleep(cdnDelayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] blob = blobs.get(ex.getRequestURI().getPath().substring("/blobs/".length()));
            if (blob == null) {
                send(ex, 404, Map.of(), new byte[0]);
                return;
            }
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
                if (from >= blob.length) {
                    send(ex, 416, Map.of("Content-Range", "bytes */" + blob.length), new byte[0]);
                    return;
                }
                byte[] tail = java.util.Arrays.copyOfRange(blob, from, blob.length);
                send(ex, 206, Map.of("Content-Range", "bytes " + from + "-" + (blob.length - 1) + "/" + blob.length),
                        tail);
                return;
            }
            if (breakOnce.remove(ex.getRequestURI().getPath().substring("/blobs/".length()))) {
                ex.sendResponseHeaders(200, blob.length);
                ex.getResponseBody().write(blob, 0, blob.length / 2);
                ex.getResponseBody().flush();
                throw new IOException("connection dropped on purpose"); // the server then closes the connection
            }
            send(ex, 200, Map.of(), blob);
        }
    }

    private static String auth(HttpExchange ex) {
        return ex.getRequestHeaders().containsKey("Authorization") ? " [auth]" : "";
    }

    private static void send(HttpExchange ex, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            if (status == 200) {
                ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            }
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitBlobId(byte[] bytes) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
