package io.kubelora.trainer.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Collects training and evaluation loss per step and draws them as loss.png. */
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

    /** Adds points logged before a resume (read back from metrics.jsonl). */
    public void addHistory(int step, double loss, Double evalLoss) {
        onReport(new StepReport(step, step, 0, loss, evalLoss == null ? Double.NaN : evalLoss, 0, 0, 0, 0, 0));
    }

    /** Writes the chart as a PNG; nothing when no step was logged. */
    public void write(Path png, String title) throws IOException {
        if (steps.isEmpty()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step")
                .yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setPlotGridLinesVisible(true)
                .setLegendVisible(true).setMarkerSize(5);
        XYSeries train = chart.addSeries("training loss", steps, losses);
        train.setMarker(SeriesMarkers.NONE).setLineColor(new Color(31, 119, 180))
                .setLineStyle(new BasicStroke(2f));
        if (!evalSteps.isEmpty()) {
            XYSeries eval = chart.addSeries("evaluation loss", evalSteps, evalLosses);
            eval.setMarker(SeriesMarkers.CIRCLE).setLineColor(new Color(255, 127, 14))
                    .setMarkerColor(new Color(255, 127, 14));
        }
        String file = png.toString();
        BitmapEncoder.saveBitmap(chart, file.endsWith(".png") ? file.substring(0, file.length() - 4) : file,
                BitmapEncoder.BitmapFormat.PNG);
    }
}
