package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Collects training and evaluation loss per step and draws them as loss.png; the lowest evaluation loss is marked
 * (the adapter training.keepBest delivers).
 */
public final class LossPlot implements TrainingObserver {

    private final List<Double> steps = new ArrayList<>();
    private final List<Double> losses = new ArrayList<>();
    private final List<Double> evalSteps = new ArrayList<>();
    private final List<Double> evalLosses = new ArrayList<>();

    @Override
    public void onReport(StepReport r) {
        if (Double.isFinite(r.loss())) {
            steps.add((double) r.step());
            losses.add(r.loss());
        }
        if (r.hasEvalLoss()) {
            evalSteps.add((double) r.step());
            evalLosses.add(r.evalLoss());
        }
    }

    /** Adds the points logged before a resume, read back from metrics.jsonl. */
    public void addHistory(Path metricsJsonl) throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metricsJsonl)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            Evaluation eval = n.has("eval_loss") ? new Evaluation(n.get("eval_loss").asDouble(),
                    n.path("eval_accuracy").asDouble(Double.NaN), 0) : null;
            onReport(new StepReport(n.get("step").asInt(), 0, 0, n.get("loss").asDouble(), eval, null, 0, 0, 0, 0, 0));
        }
    }

    /** Index of the lowest evaluation loss (the first of equals). */
    private int bestIndex() {
        int best = 0;
        for (int i = 1; i < evalLosses.size(); i++) {
            if (evalLosses.get(i) < evalLosses.get(best)) {
                best = i;
            }
        }
        return best;
    }

    /** Writes the chart as a PNG; nothing when no step was logged. */
    public void write(Path png, String title) throws IOException {
        if (steps.isEmpty()) {
            return;
        }
        String file = png.toString();
        BitmapEncoder.saveBitmap(chart(title), file.endsWith(".png") ? file.substring(0, file.length() - 4) : file,
                BitmapEncoder.BitmapFormat.PNG);
    }

    /** The chart: training loss, evaluation loss and, marked, the best evaluation. */
    XYChart chart(String title) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step")
                .yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setMarkerSize(5);
        XYSeries train = chart.addSeries("training loss", steps, losses);
        train.setMarker(SeriesMarkers.NONE);
        train.setLineColor(new Color(31, 119, 180));
        train.setLineStyle(new BasicStroke(2f));
        if (!evalSteps.isEmpty()) {
            XYSeries eval = chart.addSeries("evaluation loss", evalSteps, evalLosses);
            eval.setMarker(SeriesMarkers.CIRCLE);
            eval.setLineColor(new Color(255, 127, 14));
            eval.setMarkerColor(new Color(255, 127, 14));
            int best = bestIndex();
            XYSeries bestPoint = chart.addSeries(String.format(java.util.Locale.ROOT, "best evaluation (step %d)",
                    evalSteps.get(best).intValue()), List.of(evalSteps.get(best)), List.of(evalLosses.get(best)));
            bestPoint.setMarker(SeriesMarkers.DIAMOND);
            bestPoint.setMarkerColor(new Color(44, 160, 44));
            bestPoint.setLineStyle(new BasicStroke(0f));
        }
        return chart;
    }
}
