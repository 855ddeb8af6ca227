package io.kubelora.trainer.train;

import java.io.PrintStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Shows progress to a person: one self-overwriting line on a terminal, plain log lines otherwise (pods,
 * CI, pipes).
 */
public final class ProgressPrinter implements TrainingObserver {

    private static final ObjectMapper QUOTE = new ObjectMapper();

    private final PrintStream out;
    private final boolean terminal;
    private boolean lineOpen;

    public ProgressPrinter(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** A printer for standard error, live when it is a terminal. */
    public static ProgressPrinter forConsole() {
        return new ProgressPrinter(System.err, System.console() != null && System.getenv("CI") == null);
    }

    @Override
    public void onReport(StepReport r) {
        String eval = r.hasEvalLoss() ? String.format(Locale.ROOT, " eval_loss %.4f (ppl %.2f, acc %.1f%%)",
                r.evalLoss(), r.eval().perplexity(), 100 * r.eval().accuracy()) : "";
        String line = String.format(Locale.ROOT, "step %d/%d  epoch %.2f  loss %.4f%s  lr %.2e  %,.0f tok/s  ETA %s",
                r.step(), r.totalSteps(), r.epoch(), r.loss(), eval, r.learningRate(), r.tokensPerSecond(),
                formatDuration(r.etaSeconds()));
        if (terminal) {
            int percent = (int) (100L * r.step() / r.totalSteps());
            out.print("\r\033[2K" + bar(percent) + " " + line);
            lineOpen = true;
            if (r.hasEvalLoss() || r.step() == r.totalSteps()) {
                out.println();
                lineOpen = false;
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Each answer on a line of its own: what was asked and the completion, as JSON strings. */
    @Override
    public void onSamples(List<Sample> samples) {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            out.printf(Locale.ROOT, "sample %d/%d at step %d: %s -> %s%n", i + 1, samples.size(), s.step(),
                    quoted(s.question()), s.completion().isEmpty() ? "(empty: the model ended at once)"
                            : quoted(s.completion()));
        }
        out.flush();
    }

    private static String quoted(String text) {
        try {
            return QUOTE.writeValueAsString(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void onFinished(RunSummary summary) {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
    }

    private static String bar(int percent) {
        int filled = percent / 5;
        return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + String.format(Locale.ROOT, "%3d%%", percent);
    }

    /** 3725 s -> "1h02m", 95 s -> "1m35s". */
    public static String formatDuration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        Duration d = Duration.ofSeconds(Math.round(seconds));
        if (d.toHours() > 0) {
            return String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart());
        }
        if (d.toMinutes() > 0) {
            return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
        }
        return d.toSeconds() + "s";
    }
}
