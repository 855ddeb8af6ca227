package io.kubelora.trainer.train;

import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A synthetic task a tiny random Llama can learn in a few dozen steps: repeated sentences about coloured balls. */
public final class ColourTask {

    private ColourTask() {
    }

    /** Writes a tiny Llama with the real Llama 3 tokenizer to {@code dir/model}. */
    public static Path model(Path dir, long seed) throws IOException {
        Path model = dir.resolve("model");
        BundledTokenizer.copyTo("llama3", model);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), seed, model);
        return model;
    }

    /** Writes 64 text-format records to {@code dir/data.jsonl}. */
    public static Path data(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[] colours = {"red", "green", "blue", "yellow"};
        for (int i = 0; i < 64; i++) {
            String c = colours[i % 4];
            lines.add("{\"text\": \"The colour of the " + c + " ball is " + c + ". The " + c + " ball is " + c + ".\"}");
        }
        return Files.write(dir.resolve("data.jsonl"), lines);
    }
}
