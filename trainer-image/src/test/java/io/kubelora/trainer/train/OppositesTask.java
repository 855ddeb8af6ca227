package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A narrow task a tiny random Llama learns by heart in a few dozen steps: the opposite of eight words, as text
 * records "hot: cold" (the prompt "hot:", the answer " cold").
 */
final class OppositesTask {

    static final Map<String, String> OPPOSITES = new LinkedHashMap<>();

    static {
        OPPOSITES.put("hot", "cold");
        OPPOSITES.put("big", "small");
        OPPOSITES.put("up", "down");
        OPPOSITES.put("day", "night");
        OPPOSITES.put("yes", "no");
        OPPOSITES.put("fast", "slow");
        OPPOSITES.put("left", "right");
        OPPOSITES.put("open", "closed");
    }

    private OppositesTask() {
    }

    /** The prompt asking for the opposite of {@code word}. */
    static String question(String word) {
        return word + ":";
    }

    /** The answer to {@code question}: a space and the opposite. */
    static String answer(String question) {
        return " " + OPPOSITES.get(question.substring(0, question.length() - 1));
    }

    static List<String> questions() {
        return OPPOSITES.keySet().stream().map(OppositesTask::question).toList();
    }

    /** Writes {@code copies} records of each pair to {@code dir/opposites.jsonl}. */
    static Path data(Path dir, int copies) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            for (Map.Entry<String, String> pair : OPPOSITES.entrySet()) {
                lines.add(json.writeValueAsString(Map.of("text", question(pair.getKey()) + " " + pair.getValue())));
            }
        }
        return Files.write(dir.resolve("opposites.jsonl"), lines);
    }
}
