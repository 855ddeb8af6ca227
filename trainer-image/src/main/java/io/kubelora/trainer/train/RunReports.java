package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A run's reports in one folder: metrics.jsonl and samples.jsonl written as training goes, then summary.json and
 * loss.png at the end. A resumed run appends to the metrics its checkpoint carried and plots them too.
 */
final class RunReports implements AutoCloseable {

    static final String METRICS_FILE = "metrics.jsonl";
    static final String SUMMARY_FILE = "summary.json";
    static final String PLOT_FILE = "loss.png";
    /** Every file the reports write into the output folder. */
    static final List<String> FILES = List.of(METRICS_FILE, SamplesJsonl.FILE, SUMMARY_FILE, PLOT_FILE);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path folder;
    private final MetricsJsonl metrics;
    private final SamplesJsonl samples;
    private final LossPlot plot;

    private RunReports(Path folder, MetricsJsonl metrics, SamplesJsonl samples, LossPlot plot) {
        this.folder = folder;
        this.metrics = metrics;
        this.samples = samples;
        this.plot = plot;
    }

    /** The metrics file of {@code folder}, where a resume restores the checkpoint's metrics before opening. */
    static Path metricsFile(Path folder) {
        return folder.resolve(METRICS_FILE);
    }

    /** Starts the reports in {@code folder}; {@code resumed} continues the metrics already there. */
    static RunReports open(Path folder, boolean resumed) throws IOException {
        Files.createDirectories(folder);
        LossPlot plot = new LossPlot();
        if (resumed) {
            plot.addHistory(metricsFile(folder));
        }
        return new RunReports(folder, new MetricsJsonl(metricsFile(folder), resumed),
                new SamplesJsonl(folder.resolve(SamplesJsonl.FILE), resumed), plot);
    }

    Path folder() {
        return folder;
    }

    /** The observers that record the loop's reports. */
    List<TrainingObserver> observers() {
        return List.of(metrics, samples, plot);
    }

    /** Writes summary.json and loss.png (titled {@code title}). */
    void finish(RunSummary summary, String title) throws IOException {
        JSON.writeValue(folder.resolve(SUMMARY_FILE).toFile(), summary);
        plot.write(folder.resolve(PLOT_FILE), title);
    }

    @Override
    public void close() throws IOException {
        samples.close();
        metrics.close();
    }
}
