package io.kubelora.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.Phase;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /q/metrics: reconciliations, runs by phase and GPU seconds by namespace, without a series per LoraFineTune. */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class OperatorMetricsTest extends OperatorTestSupport {

    @TestHTTPResource("/q/metrics")
    URI metrics;

    private String scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static double sample(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void metricsCountRunsByPhaseWithoutPerResourceSeries() throws Exception {
        for (String name : List.of("metrics-alpha", "metrics-beta")) {
            create(Runs.minimal(name));
        }
        create(Runs.of("metrics-broken", io.kubelora.api.LoraFineTuneSpec.of("/local", "s3://d/x.jsonl", "s3://o/x")));
        awaitStatus("metrics-alpha", s -> s.phase() == Phase.Pending);
        awaitStatus("metrics-beta", s -> s.phase() == Phase.Pending);
        awaitStatus("metrics-broken", s -> s.phase() == Phase.Failed);

        String text = await().atMost(Duration.ofSeconds(10)).until(this::scrape,
                t -> sample(t, "kubelora_runs{phase=\"Pending\"}") >= 2 && sample(t, "kubelora_runs{phase=\"Failed\"}") >= 1);
        assertTrue(sample(text, "kubelora_jobs_created_total") >= 2, text);
        assertTrue(sample(text, "kubelora_status_patches_total") >= 3, text);
        assertTrue(text.contains("operator_sdk_reconciliations"), "the SDK's reconcile metrics are exported");
        assertFalse(text.contains("metrics-alpha"), "no series names a resource");
        assertFalse(text.contains("resource_name") || text.contains("resource.name"), "no per-resource tags");
    }

    @Test
    void gpuSecondsOfTheRunsAddUpByNamespace() throws Exception {
        create(Runs.minimal("metrics-gpu")); // one GPU
        putPod(ClusterFixtures.running(awaitJob("metrics-gpu"), "10.0.0.9"));
        long seconds = awaitStatus("metrics-gpu", s -> s.gpuSeconds() != null).gpuSeconds();
        assertTrue(seconds > 0, "the pod has run since " + ClusterFixtures.T0);
        String series = "kubelora_gpu_seconds_total{namespace=\"" + Runs.NAMESPACE + "\"}";
        String text = await().atMost(Duration.ofSeconds(10)).until(this::scrape, t -> sample(t, series) >= seconds);
        assertFalse(text.contains("metrics-gpu"), "no series names the run");
    }
}
