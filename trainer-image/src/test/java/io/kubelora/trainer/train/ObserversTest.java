package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.model.LinearWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYSeries;

class ObserversTest {

    private static final StepReport PLAIN = new StepReport(10, 40, 0.25, 2.5, null, null, 1e-4, 0.8, 1234.5, 5120,
            95);
    private static final StepReport WITH_EVAL = new StepReport(20, 40, 0.5, 2.0, new Evaluation(2.2, 0.375, 64),
            new StepReport.Best(2.1, 10), 2e-4, 0.5, 1500, 10240, 40);

    @Test
    void metricsJsonlHasOneObjectPerReportAndEvalLossOnlyWhenMeasured(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsJsonl m = new MetricsJsonl(file, false)) {
            m.onReport(PLAIN);
            m.onReport(WITH_EVAL);
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals(10, first.get("step").asInt());
        assertEquals(2.5, first.get("loss").asDouble());
        assertEquals(0.25, first.get("epoch").asDouble());
        assertEquals(1e-4, first.get("learning_rate").asDouble());
        assertEquals(0.8, first.get("grad_norm").asDouble());
        assertEquals(1234.5, first.get("tokens_per_second").asDouble());
        assertFalse(first.has("eval_loss"));
        JsonNode second = new ObjectMapper().readTree(lines.get(1));
        assertEquals(2.2, second.get("eval_loss").asDouble());
        assertEquals(9.025, second.get("eval_perplexity").asDouble(), "exp(2.2)");
        assertEquals(0.375, second.get("eval_accuracy").asDouble());
        assertEquals(2.1, second.get("best_eval_loss").asDouble());
        assertEquals(10, second.get("best_step").asInt());
    }

    @Test
    void samplesGoToSamplesJsonlAndTheLog(@TempDir Path dir) throws Exception {
        List<Sample> samples = List.of(new Sample(20, "### Instruction:\nSay hi.\n\n### Response:\n", "Hi!", "Say hi."),
                new Sample(20, "Q: 1+1?\nA:", "", "Q: 1+1?"));
        Path file = dir.resolve("samples.jsonl");
        try (SamplesJsonl jsonl = new SamplesJsonl(file, false)) {
            jsonl.onSamples(samples);
        }
        assertEquals(List.of("{\"step\":20,\"prompt\":\"### Instruction:\\nSay hi.\\n\\n### Response:\\n\",\"completion\":"
                + "\"Hi!\"}", "{\"step\":20,\"prompt\":\"Q: 1+1?\\nA:\",\"completion\":\"\"}"), Files.readAllLines(file));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false).onSamples(samples);
        assertEquals("sample 1/2 at step 20: \"Say hi.\" -> \"Hi!\"\n"
                + "sample 2/2 at step 20: \"Q: 1+1?\" -> (empty: the model ended at once)\n",
                bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void metricsJsonlAppendsWhenResuming(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsJsonl m = new MetricsJsonl(file, false)) {
            m.onReport(PLAIN);
        }
        try (MetricsJsonl m = new MetricsJsonl(file, true)) {
            m.onReport(WITH_EVAL);
        }
        assertEquals(2, Files.readAllLines(file).size());
    }

    @Test
    void plainProgressLinesForLogs() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false).onReport(PLAIN);
        String line = bytes.toString(StandardCharsets.UTF_8);
        assertEquals("step 10/40  epoch 0.25  loss 2.5000  lr 1.00e-04  1,235 tok/s  ETA 1m35s\n", line);
        ByteArrayOutputStream evaluated = new ByteArrayOutputStream();
        new ProgressPrinter(new PrintStream(evaluated, true, StandardCharsets.UTF_8), false).onReport(WITH_EVAL);
        assertEquals("step 20/40  epoch 0.50  loss 2.0000 eval_loss 2.2000 (ppl 9.03, acc 37.5%)  lr 2.00e-04  "
                + "1,500 tok/s  ETA 40s\n", evaluated.toString(StandardCharsets.UTF_8));
    }

    @Test
    void terminalProgressOverwritesOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), true).onReport(PLAIN);
        String line = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(line.startsWith("\r\033[2K[#####...............]  25% step 10/40"), line);
        assertFalse(line.endsWith("\n"));
    }

    private static final LinearWeights LINEARS = new LinearWeights("fp32", 1000, 4000);

    @Test
    void durationsReadWell() {
        assertEquals("1h02m", ProgressPrinter.formatDuration(3725));
        assertEquals("1m35s", ProgressPrinter.formatDuration(95));
        assertEquals("7s", ProgressPrinter.formatDuration(7.4));
        assertEquals("?", ProgressPrinter.formatDuration(Double.NaN));
    }

    @Test
    void gpuMemoryHasOneSamplePerGpuOfTheRun() throws Exception {
        try (TrainerMetrics metrics = new TrainerMetrics(0, gpu -> (gpu.getDeviceId() + 1) * 1_000_000_000L)) {
            metrics.onStart(new RunStart(0, 40, List.of(Device.gpu(0), Device.gpu(1)), LINEARS));
            String body = scrape(metrics);
            assertTrue(body.contains("kubelora_gpu_memory_bytes{device=\"cuda:0\"} 1.0E9"), body);
            assertTrue(body.contains("kubelora_gpu_memory_bytes{device=\"cuda:1\"} 2.0E9"), body);
        }
        try (TrainerMetrics cpu = new TrainerMetrics(0, gpu -> {
            throw new AssertionError("a CPU run reads no GPU");
        })) {
            cpu.onStart(new RunStart(0, 40, List.of(Device.cpu(), Device.cpu()), LINEARS));
            assertFalse(scrape(cpu).contains("kubelora_gpu_memory_bytes{"), "no GPU sample on the CPU");
        }
    }

    @Test
    void prometheusEndpointServesTheProgressGauges() throws Exception {
        try (TrainerMetrics metrics = new TrainerMetrics(0)) {
            metrics.onStart(new RunStart(0, 40, Device.cpu(), LINEARS));
            metrics.onReport(WITH_EVAL);
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String body = response.body();
            assertEquals(200, response.statusCode());
            assertTrue(body.contains("kubelora_step 20.0"), body);
            assertTrue(body.contains("kubelora_total_steps 40.0"), body);
            assertTrue(body.contains("kubelora_loss 2.0"), body);
            assertTrue(body.contains("kubelora_eval_loss 2.2"), body);
            assertTrue(body.contains("kubelora_eval_accuracy 0.375"), body);
            assertTrue(body.contains("kubelora_eval_perplexity 9.025"), body);
            assertTrue(body.contains("kubelora_best_eval_loss 2.1"), body);
            assertTrue(body.contains("kubelora_best_eval_step 10.0"), body);
            assertTrue(body.contains("kubelora_eta_seconds 40.0"), body);
            assertTrue(body.contains("kubelora_trained_tokens_total 10240.0"), body);
            assertTrue(body.contains("process_resident_memory_bytes"), body);
        }
    }

    @Test
    void theFinalMetricsHoldTheRunsMemoryFigures() throws Exception {
        try (TrainerMetrics metrics = new TrainerMetrics(0)) {
            metrics.onStart(new RunStart(0, 40, Device.cpu(), LINEARS));
            metrics.onFinished(new RunSummary(40, 1, 2, null, null, null, null, null, 40, null, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, "cpu()", 1, 1, 7_000_000_000L, 6_500_000_000L, "GPU memory in use", 4_400_000_000L, 4.127,
                    "none", null));
            String body = scrape(metrics);
            assertTrue(body.contains("kubelora_planned_peak_bytes 7.0E9"), body);
            assertTrue(body.contains("kubelora_peak_memory_bytes 6.5E9"), body);
            assertTrue(body.contains("kubelora_weight_bytes 4.4E9"), body);
            assertTrue(body.contains("kubelora_nf4_bits_per_parameter 4.127"), body);
        }
    }

    @Test
    void theMergingGaugeFollowsTheRunsPhase() throws Exception {
        try (TrainerMetrics metrics = new TrainerMetrics(0)) {
            metrics.onStart(new RunStart(0, 40, Device.cpu(), LINEARS));
            assertTrue(scrape(metrics).contains("kubelora_merging 0.0"));
            metrics.onPhase(RunPhase.MERGING);
            assertTrue(scrape(metrics).contains("kubelora_merging 1.0"));
            metrics.onPhase(RunPhase.REPORTING);
            assertTrue(scrape(metrics).contains("kubelora_merging 0.0"));
        }
    }

    @Test
    void observersPassEveryHookOnInOrder() {
        List<String> heard = new ArrayList<>();
        TrainingObserver recorder = new TrainingObserver() {
            @Override
            public void onStart(RunStart start) {
                heard.add("start " + start.stepsDone() + "/" + start.totalSteps());
            }

            @Override
            public void onReport(StepReport report) {
                heard.add("report " + report.step());
            }

            @Override
            public void onSamples(List<Sample> samples) {
                heard.add("samples " + samples.size());
            }

            @Override
            public void onPhase(RunPhase phase) {
                heard.add(phase.name());
            }

            @Override
            public void onFinished(RunSummary summary) {
                heard.add("finished " + summary.steps());
            }
        };
        Observers observers = new Observers(List.of(recorder, r -> heard.add("lambda " + r.step())));
        observers.onStart(new RunStart(10, 40, Device.cpu(), LINEARS));
        observers.onReport(PLAIN);
        observers.onSamples(List.of());
        observers.onPhase(RunPhase.MERGING);
        observers.onFinished(new RunSummary(40, 1, 2, null, null, null, null, null, 40, null, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, "cpu()", 1, 1, 0, 0, "", 0, null, "alpaca", List.of()));
        assertEquals(List.of("start 10/40", "report 10", "lambda 10", "samples 0", "MERGING", "finished 40"), heard);
    }

    private static String scrape(TrainerMetrics metrics) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void lossPlotIsAPng(@TempDir Path dir) throws Exception {
        LossPlot plot = new LossPlot();
        plot.onReport(PLAIN);
        plot.onReport(WITH_EVAL);
        Path png = dir.resolve("loss.png");
        plot.write(png, "test");
        assertEquals(900, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void lossPlotMarksTheLowestEvaluation() {
        LossPlot plot = new LossPlot();
        double[] evalLosses = {2.2, 1.9, 2.4};
        for (int i = 0; i < evalLosses.length; i++) {
            plot.onReport(new StepReport(10 * (i + 1), 30, 0, 2.0, new Evaluation(evalLosses[i], 0.5, 8),
                    null, 1e-4, 0.5, 100, 100, 0));
        }
        XYSeries best = plot.chart("test").getSeriesMap().get("best evaluation (step 20)");
        assertNotNull(best, plot.chart("test").getSeriesMap().keySet().toString());
        assertArrayEquals(new double[] {20}, best.getXData());
        assertArrayEquals(new double[] {1.9}, best.getYData());
    }

    @Test
    void peftParameterLine() {
        assertEquals("trainable params: 1,703,936 || all params: 1,237,518,336 || trainable%: 0.1377",
                FineTuneRun.parameterLine(1_703_936, 1_237_518_336L));
    }
}
