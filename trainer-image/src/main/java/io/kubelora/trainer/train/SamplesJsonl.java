package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** samples.jsonl: one {step, prompt, completion} object per answer to an evaluation prompt, flushed at once. */
final class SamplesJsonl implements TrainingObserver, AutoCloseable {

    static final String FILE = "samples.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;

    /** Appends when resuming ({@code append}), otherwise starts a new file. */
    SamplesJsonl(Path file, boolean append) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    @Override
    public void onReport(StepReport report) {
    }

    @Override
    public void onSamples(List<Sample> samples) {
        try {
            for (Sample sample : samples) {
                out.write(JSON.writeValueAsString(sample));
                out.newLine();
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + FILE, e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
