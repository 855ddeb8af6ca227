package io.kubelora.operator.ha;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One replica of the built operator (target/quarkus-app/quarkus-run.jar, the prod profile) as a process of its
 * own, started the way the image starts it and configured the way the Helm chart configures the pod.
 */
final class OperatorProcess implements AutoCloseable {

    private static final String APP_PROPERTY = "kubelora.operator.app";

    private final String name;
    private final Process process;
    private final Path log;

    private OperatorProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts a replica named {@code name} (its pod name: HOSTNAME) against the API server at {@code apiServer}.
     *
     * @param chartEnv what the chart's Deployment sets, besides the API server and the pod's own name
     */
    static OperatorProcess start(String name, String apiServer, Map<String, String> chartEnv, Path logDir)
            throws IOException {
        Path app = Path.of(System.getProperty(APP_PROPERTY, "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(app)) {
            throw new IllegalStateException(app + " is missing: this test runs the packaged operator (mvn verify)");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-jar", app.toString()));
        Path log = Files.createDirectories(logDir).resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("QUARKUS_")
                || k.startsWith("KUBELORA_") || k.equals("KUBECONFIG"));
        builder.environment().putAll(chartEnv);
        builder.environment().put("HOSTNAME", name);
        builder.environment().put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", apiServer);
        builder.environment().put("QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true");
        builder.environment().put("QUARKUS_HTTP_PORT", "0"); // several replicas on one host
        builder.environment().put("KUBECONFIG", logDir.resolve("no-kubeconfig").toString());
        return new OperatorProcess(name, builder.start(), log);
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the replica logged so far. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, as the kubelet stops a pod; true when the process ended within {@code timeout}. */
    boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGKILL: the replica's node is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
