package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * metrics.jsonl: one JSON object per report (step, epoch, loss; when evaluated eval_loss, eval_perplexity,
 * eval_accuracy, best_eval_loss and best_step; learning_rate, grad_norm, tokens_per_second), flushed at once so it
 * can be followed while training runs.
 */
public final class MetricsJsonl implements TrainingObserver, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;

    /** Appends when resuming ({@code append}), otherwise starts a new file. */
    public MetricsJsonl(Path file, boolean append) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    @Override
    public void onReport(StepReport r) {
        ObjectNode line = JSON.createObjectNode();
        line.put("step", r.step());
        line.put("epoch", round(r.epoch(), 4));
        line.put("loss", round(r.loss(), 6));
        if (r.hasEvalLoss()) {
            line.put("eval_loss", round(r.evalLoss(), 6));
            line.put("eval_perplexity", round(r.eval().perplexity(), 4));
            line.put("eval_accuracy", round(r.eval().accuracy(), 6));
            if (r.best() != null) {
                line.put("best_eval_loss", round(r.best().loss(), 6));
                line.put("best_step", r.best().step());
            }
        }
        line.put("learning_rate", r.learningRate());
        line.put("grad_norm", round(r.gradNorm(), 6));
        line.put("tokens_per_second", round(r.tokensPerSecond(), 1));
        try {
            out.write(JSON.writeValueAsString(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics.jsonl", e);
        }
    }

    private static double round(double value, int digits) {
        if (!Double.isFinite(value)) {
            return value;
        }
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
