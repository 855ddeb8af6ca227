package io.kubelora.operator.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 API server for the trainer: s3proxy in its own process, serving a local folder (each top-level
 * folder is a bucket, each file below it an object) with AWS signature checks on. The test puts inputs into
 * and reads results from that folder directly; the trainer goes through the S3 API with the credentials a
 * storage Secret gives it.
 */
final class S3Server implements AutoCloseable {

    static final String ACCESS_KEY = "e2e-access";
    static final String SECRET_KEY = "e2e-secret-key-0123456789";
    private static final String JAR_PROPERTY = "kubelora.e2e.s3proxy-jar";

    private final Process process;
    private final Path root;
    private final int port;
    private final Path log;

    private S3Server(Process process, Path root, int port, Path log) {
        this.process = process;
        this.root = root;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts the server over {@code root} and waits until it accepts connections.
     *
     * @param work folder for the server's settings and log
     */
    static S3Server start(Path root, Path work) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty(JAR_PROPERTY, "target/e2e/s3proxy.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the operator build copies s3proxy's "
                    + "jar-with-dependencies there (mvn -pl operator process-test-resources)");
        }
        int port = freePort();
        Path settings = work.resolve("s3proxy.properties");
        Files.writeString(settings, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem-nio2",
                "jclouds.filesystem.basedir=" + root.toAbsolutePath()) + "\n");
        Path log = work.resolve("s3proxy.log");
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", jar.toString(), "--properties", settings.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        S3Server server = new S3Server(process, root, port, log);
        server.awaitListening();
        return server;
    }

    /** A bucket, created on first use. */
    Path bucket(String name) throws IOException {
        return Files.createDirectories(root.resolve(name));
    }

    /** The object {@code s3://bucket/key} as the server stores it. */
    Path object(String uri) {
        if (!uri.startsWith("s3://")) {
            throw new IllegalArgumentException("not an s3:// URI: " + uri);
        }
        return root.resolve(uri.substring("s3://".length()));
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** What a storage Secret holds for this server: the trainer's S3 settings. */
    Map<String, String> secretData() {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("AWS_ENDPOINT_URL", endpoint());
        data.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        data.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        data.put("AWS_REGION", "us-east-1");
        return data;
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("s3proxy exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        close();
        throw new IllegalStateException("s3proxy did not listen on port " + port + " within 30 s:\n"
                + Files.readString(log));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
