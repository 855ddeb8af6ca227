package io.kubelora.trainer.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few Hugging Face Hub HTTP calls a trainer needs: a repository's file list at a revision, a file's
 * metadata (size, SHA-256 of LFS files, commit) from a HEAD on its resolve URL, and a resumable download that
 * follows the redirect to the CDN (the token is only sent to the hub itself).
 */
final class HfHub {

    private static final Logger LOG = LoggerFactory.getLogger(HfHub.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REDIRECTS = 10;
    private static final int MAX_ATTEMPTS = 5;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    /** A revision's commit and its file paths. */
    record Snapshot(String commit, List<String> files) {
    }

    /**
     * What the hub says of one file. {@code size} is -1 when not reported; {@code sha256} is set for LFS files;
     * {@code gitBlobSha1} for regular files.
     */
    record FileInfo(long size, String sha256, String gitBlobSha1, String commit) {
    }

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    HfHub(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(15))
                .build();
    }

    /** {@code path} below the endpoint, keeping a path prefix the endpoint may have (repository proxies). */
    private URI onHub(String path) {
        return URI.create(endpoint + path);
    }

    Snapshot snapshot(HfLocation repo) {
        URI uri = onHub("/api/" + repo.repoType() + "/" + repo.repoId() + "/revision/"
                + encodeSegment(repo.revision()));
        HttpResponse<byte[]> response = call(repo, "GET", uri, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw error(response.statusCode(), response.headers(), repo);
        }
        try {
            JsonNode info = JSON.readTree(response.body());
            List<String> files = new ArrayList<>();
            for (JsonNode sibling : info.path("siblings")) {
                files.add(sibling.path("rfilename").asText());
            }
            String commit = info.path("sha").asText(null);
            return new Snapshot(commit == null || commit.isBlank() ? repo.revision() : commit, List.copyOf(files));
        } catch (IOException e) {
            throw new StorageException("the hub at " + endpoint + " sent an unreadable file list for " + repo + ": "
                    + e.getMessage(), e);
        }
    }

    /** HEAD on the resolve URL, stopping at the hub's own answer (before the CDN), where the metadata is. */
    FileInfo fileInfo(HfLocation file) {
        URI uri = resolveUri(file);
        for (int hop = 0; ; hop++) {
            HttpResponse<Void> response = call(file, "HEAD", uri, HttpResponse.BodyHandlers.discarding());
            HttpHeaders h = response.headers();
            int status = response.statusCode();
            boolean lfsRedirect = h.firstValue("X-Linked-Size").isPresent();
            if (isRedirect(status) && !lfsRedirect && hop < MAX_REDIRECTS) {
                uri = location(uri, h, file);
                continue;
            }
            if (status >= 400) {
                throw error(status, h, file);
            }
            String linkedEtag = unquote(h.firstValue("X-Linked-Etag").orElse(null));
            String etag = unquote(h.firstValue("ETag").orElse(null));
            long size = h.firstValue("X-Linked-Size")
                    .or(() -> isRedirect(status) ? java.util.Optional.empty() : h.firstValue("Content-Length"))
                    .map(HfHub::parseSize).orElse(-1L);
            String sha256 = linkedEtag != null && linkedEtag.matches("[0-9a-f]{64}") ? linkedEtag
                    : etag != null && etag.matches("[0-9a-f]{64}") ? etag : null;
            String gitSha1 = sha256 == null && !lfsRedirect && etag != null && etag.matches("[0-9a-f]{40}")
                    ? etag : null;
            return new FileInfo(size, sha256, gitSha1, h.firstValue("X-Repo-Commit").orElse(null));
        }
    }

    /**
     * Downloads into {@code target} through {@code target.incomplete}, resuming what an earlier attempt left
     * there, retrying transient failures, and checking size and checksum before the file takes its name.
     */
    void download(HfLocation file, FileInfo info, Path target) {
        Path partial = target.resolveSibling(target.getFileName() + ".incomplete");
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            for (int attempt = 1; ; attempt++) {
                try {
                    fetchInto(file, info, partial);
                    break;
                } catch (IOException e) {
                    if (attempt >= MAX_ATTEMPTS) {
                        throw new StorageException("downloading " + file + " failed after " + attempt + " attempts: "
                                + e.getMessage(), e);
                    }
                    LOG.warn("downloading {} failed ({}); resuming, attempt {} of {}", file, e.getMessage(),
                            attempt + 1, MAX_ATTEMPTS);
                    sleep(Math.min(30_000L, 1000L << (attempt - 1)));
                }
            }
            verify(file, info, partial);
            LocalFiles.moveAtomically(partial, target);
        } catch (IOException e) {
            throw new StorageException("cannot store " + file + " at " + target + ": " + e.getMessage(), e);
        }
    }

    private void fetchInto(HfLocation file, FileInfo info, Path partial) throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (info.size() >= 0 && have > info.size()) {
            Files.delete(partial);
            have = 0;
        }
        if (info.size() >= 0 && have == info.size()) {
            return; // an earlier run got every byte; the checks below decide whether to keep it
        }
        String range = have > 0 && info.size() >= 0 ? "bytes=" + have + "-" : null;
        URI uri = resolveUri(file);
        for (int hop = 0; ; hop++) {
            HttpResponse<InputStream> response = send("GET", uri, range, HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (isRedirect(status) && hop < MAX_REDIRECTS) {
                response.body().close();
                uri = location(uri, response.headers(), file);
                continue;
            }
            if (status == 416) {
                response.body().close();
                Files.deleteIfExists(partial); // our partial file no longer fits the remote one: start over
                throw new TransientException("the server refused to resume (HTTP 416)");
            }
            if (status == 429 || status >= 500) {
                response.body().close();
                throw new TransientException("HTTP " + status);
            }
            if (status != 200 && status != 206) {
                response.body().close();
                throw error(status, response.headers(), file);
            }
            boolean append = status == 206;
            if (append) {
                String contentRange = response.headers().firstValue("Content-Range").orElse("");
                if (!contentRange.startsWith("bytes " + have + "-")) {
                    response.body().close();
                    Files.deleteIfExists(partial);
                    throw new TransientException("the server resumed at the wrong offset (" + contentRange + ")");
                }
            }
            LOG.info("downloading {} ({}){}", file, info.size() < 0 ? "size unknown" : info.size() + " bytes",
                    append ? ", resuming at byte " + have : "");
            try (InputStream in = response.body();
                 OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                in.transferTo(out);
            }
            if (info.size() >= 0 && Files.size(partial) < info.size()) {
                throw new TransientException("the connection closed after " + Files.size(partial) + " of "
                        + info.size() + " bytes");
            }
            return;
        }
    }

    private static void verify(HfLocation file, FileInfo info, Path partial) throws IOException {
        long size = Files.size(partial);
        if (info.size() >= 0 && size != info.size()) {
            Files.deleteIfExists(partial);
            throw new StorageException("size mismatch for " + file + ": the hub reports " + info.size()
                    + " bytes, got " + size);
        }
        if (info.sha256() != null) {
            String actual = Digests.sha256(partial);
            if (!actual.equals(info.sha256())) {
                Files.deleteIfExists(partial);
                throw new StorageException("checksum mismatch for " + file + ": the hub reports sha256 "
                        + info.sha256() + ", downloaded " + actual + " (corrupted in transit or by a proxy)");
            }
        } else if (info.gitBlobSha1() != null) {
            String actual = gitBlobSha1(partial, size);
            if (!actual.equals(info.gitBlobSha1())) {
                Files.deleteIfExists(partial);
                throw new StorageException("checksum mismatch for " + file + ": the hub reports git blob "
                        + info.gitBlobSha1() + ", downloaded " + actual);
            }
        }
    }

    /** Git's object id of a regular file: SHA-1 over "blob <size>\0" and the content. */
    private static String gitBlobSha1(Path file, long size) throws IOException {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha1.update(buffer, 0, n);
            }
        }
        return Digests.hex(sha1);
    }

    /**
     * One metadata request, retried with backoff on network errors, 429 and 5xx; failures surface as a message
     * naming the hub and the URI being read.
     */
    private <T> HttpResponse<T> call(HfLocation what, String method, URI uri, HttpResponse.BodyHandler<T> handler) {
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<T> response = send(method, uri, null, handler);
                int status = response.statusCode();
                if ((status == 429 || status >= 500) && attempt < MAX_ATTEMPTS) {
                    LOG.warn("the hub answered HTTP {} for {}; retrying", status, what);
                } else {
                    return response;
                }
            } catch (IOException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw new StorageException("cannot reach the Hugging Face Hub at " + uri.getScheme() + "://"
                            + uri.getAuthority() + " for " + what + ": " + e + " (set HF_ENDPOINT for a mirror)", e);
                }
                LOG.warn("cannot reach the hub for {} ({}); retrying", what, e.toString());
            }
            sleep(Math.min(30_000L, 1000L << (attempt - 1)));
        }
    }

    private <T> HttpResponse<T> send(String method, URI uri, String range, HttpResponse.BodyHandler<T> handler)
            throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("User-Agent", "kubelora-trainer");
        if (token != null && sameOrigin(uri, endpoint)) {
            request.header("Authorization", "Bearer " + token);
        }
        if (range != null) {
            request.header("Range", range);
        }
        if (!"GET".equals(method) || range == null) {
            request.timeout(REQUEST_TIMEOUT);
        }
        try {
            return http.send(request.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while reading " + uri, e);
        }
    }

    private StorageException error(int status, HttpHeaders headers, HfLocation what) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String hubMessage = headers.firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
        String repo = (what.dataset() ? "dataset " : "model ") + what.repoId();
        if (status == 401 || status == 403) {
            String advice = token == null
                    ? "set a token in HF_TOKEN and accept the repository's terms on the hub"
                    : "the token in HF_TOKEN has no access: request access on the hub or use another token";
            return new StorageException(what + ": " + repo + " is gated or private, or does not exist (HTTP "
                    + status + "): " + advice + hubMessage);
        }
        if (status == 404) {
            return new StorageException(what + ": " + switch (code) {
                case "RepoNotFound" -> repo + " not found on " + endpoint;
                case "RevisionNotFound" -> "revision '" + what.revision() + "' not found in " + repo;
                case "EntryNotFound" -> "file '" + what.path() + "' not found in " + repo + " at revision '"
                        + what.revision() + "'";
                default -> what.path().isEmpty() ? repo + " or its revision '" + what.revision() + "' not found"
                        : "file '" + what.path() + "' not found in " + repo + " (or the repository or revision"
                        + " does not exist)";
            } + " (HTTP 404)" + hubMessage);
        }
        return new StorageException(what + ": the hub answered HTTP " + status + hubMessage);
    }

    URI resolveUri(HfLocation file) {
        String prefix = file.dataset() ? "/datasets/" : "/";
        StringBuilder path = new StringBuilder(prefix).append(file.repoId()).append("/resolve/")
                .append(encodeSegment(file.revision()));
        for (String segment : file.path().split("/")) {
            path.append('/').append(encodeSegment(segment));
        }
        return onHub(path.toString());
    }

    private static URI location(URI current, HttpHeaders headers, HfLocation what) {
        String location = headers.firstValue("Location").orElseThrow(() ->
                new StorageException(what + ": the hub sent a redirect without a Location"));
        return current.resolve(location);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().toLowerCase(Locale.ROOT).equals("https") ? 443 : 80;
    }

    private static long parseSize(String header) {
        try {
            long size = Long.parseLong(header.trim());
            return size >= 0 ? size : -1;
        } catch (NumberFormatException e) {
            return -1; // unknown: the download is then taken as it comes and checked by checksum only
        }
    }

    private static String unquote(String etag) {
        if (etag == null) {
            return null;
        }
        String v = etag.startsWith("W/") ? etag.substring(2) : etag;
        v = v.replace("\"", "").trim().toLowerCase(Locale.ROOT);
        return v.isEmpty() ? null : v;
    }

    static String encodeSegment(String segment) {
        return URLEncoder.encode(Objects.requireNonNull(segment), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting to retry a download", e);
        }
    }

    /** A failure worth another attempt (the partial file is kept for resuming). */
    private static final class TransientException extends IOException {
        private static final long serialVersionUID = 1L;

        TransientException(String message) {
            super(message);
        }
    }
}
