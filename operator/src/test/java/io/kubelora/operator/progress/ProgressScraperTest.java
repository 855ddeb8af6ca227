package io.kubelora.operator.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.kubelora.operator.ClusterFixtures;
import io.kubelora.operator.Runs;
import io.kubelora.operator.TestSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProgressScraperTest {

    static final String EXPOSITION = """
            # HELP kubelora_step Optimizer steps done.
            # TYPE kubelora_step gauge
            kubelora_step 120.0
            kubelora_total_steps 900
            kubelora_epoch 0.4
            kubelora_loss 1.48216412345
            kubelora_eval_loss NaN
            kubelora_tokens_per_second{} 2100.5
            kubelora_eta_seconds 3720
            kubelora_merging 0
            jvm_memory_used_bytes{area="heap"} 1.0E8
            """;

    private HttpServer server;
    private final AtomicReference<String> body = new AtomicReference<>(EXPOSITION);
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", exchange -> {
            requests.incrementAndGet();
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ProgressScraper scraper() {
        int port = server.getAddress().getPort();
        return new ProgressScraper(TestSettings.defaults()) {
            @Override
            protected URI endpoint(Pod pod) {
                return URI.create("http://127.0.0.1:" + port + "/metrics");
            }
        };
    }

    private static Pod pod() {
        return ClusterFixtures.running(ClusterFixtures.job(Runs.minimal("p")), "10.0.0.7");
    }

    @Test
    void readsTheTrainersGauges() {
        TrainerSnapshot s = scraper().scrape("uid", pod(), Instant.EPOCH);
        assertNotNull(s);
        assertFalse(s.merging());
        assertEquals(120L, s.progress().step());
        assertEquals(900L, s.progress().totalSteps());
        assertEquals("120/900", s.progress().steps());
        assertEquals(0.4, s.progress().epoch());
        assertEquals(1.482, s.progress().loss(), "a loss reads like 1.482 in the status and the Loss column");
        assertNull(s.progress().evalLoss(), "NaN: not measured yet");
        assertEquals(2100.5, s.progress().tokensPerSecond());
        assertEquals("1h02m", s.progress().eta());
        assertNull(s.progress().lastUpdateTime());
    }

    @Test
    void evalLossIsRoundedLikeTheLoss() {
        body.set(EXPOSITION.replace("kubelora_eval_loss NaN", "kubelora_eval_loss 2.0004999"));
        assertEquals(2.0, scraper().scrape("uid", pod(), Instant.EPOCH).progress().evalLoss());
        body.set(EXPOSITION.replace("kubelora_eval_loss NaN", "kubelora_eval_loss 13.90287"));
        assertEquals(13.903, scraper().scrape("uid2", pod(), Instant.EPOCH).progress().evalLoss());
    }

    @Test
    void readsTheEvaluationGaugesOnceMeasured() {
        body.set(EXPOSITION.replace("kubelora_eval_loss NaN", """
                kubelora_eval_loss 1.75
                kubelora_best_eval_loss 1.5
                kubelora_best_eval_step 100"""));
        TrainerSnapshot s = scraper().scrape("uid", pod(), Instant.EPOCH);
        assertEquals(1.75, s.progress().evalLoss());
        assertEquals(1.5, s.progress().bestEvalLoss());
        assertEquals(100L, s.progress().bestEvalStep());
    }

    @Test
    void readsEachRunAtMostOncePerInterval() {
        ProgressScraper scraper = scraper();
        assertNotNull(scraper.scrape("uid", pod(), Instant.EPOCH));
        assertNull(scraper.scrape("uid", pod(), Instant.EPOCH.plusSeconds(9)));
        assertNotNull(scraper.scrape("other", pod(), Instant.EPOCH.plusSeconds(9)));
        body.set("kubelora_step 899\nkubelora_merging 1\n");
        TrainerSnapshot merging = scraper.scrape("uid", pod(), Instant.EPOCH.plusSeconds(10));
        assertTrue(merging.merging());
        assertEquals(899L, merging.progress().step());
        assertEquals(3, requests.get());
        scraper.forget("uid");
        assertNotNull(scraper.scrape("uid", pod(), Instant.EPOCH.plusSeconds(11)));
    }

    @Test
    void noMetricsYetOrNoServerIsNoSnapshot() {
        body.set("# the trainer is still loading\n");
        assertNull(scraper().scrape("uid", pod(), Instant.EPOCH));
        server.stop(0);
        assertNull(scraper().scrape("uid", pod(), Instant.EPOCH));
    }

    @Test
    void endpointIsThePodsMetricsPort() {
        ProgressScraper real = new ProgressScraper(TestSettings.defaults());
        assertEquals(URI.create("http://10.0.0.7:9090/metrics"), real.endpoint(pod()));
        Pod v6 = ClusterFixtures.running(ClusterFixtures.job(Runs.minimal("p")), "fd00::7");
        assertEquals(URI.create("http://[fd00::7]:9090/metrics"), real.endpoint(v6));
    }

    @Test
    void prometheusTextSkipsLabelledSeriesAndComments() {
        Map<String, Double> samples = PrometheusText.unlabelledSamples(EXPOSITION + "bad_line\nx_total abc\n");
        assertEquals(120.0, samples.get("kubelora_step"));
        assertEquals(2100.5, samples.get("kubelora_tokens_per_second"));
        assertTrue(samples.get("kubelora_eval_loss").isNaN());
        assertFalse(samples.containsKey("jvm_memory_used_bytes"));
        assertFalse(samples.containsKey("x_total"));
        assertFalse(samples.containsKey("bad_line"));
    }

    @Test
    void etaIsShort() {
        assertEquals("42s", ProgressScraper.eta(42.0));
        assertEquals("2m05s", ProgressScraper.eta(125.0));
        assertEquals("1h02m", ProgressScraper.eta(3720.0));
        assertNull(ProgressScraper.eta(Double.NaN));
    }
}
