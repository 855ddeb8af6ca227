package io.kubelora.trainer.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.train.SpecTranslation;
import io.kubelora.trainer.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What examples/README.md and examples/quickstart.yaml say about the quickstart run is what the trainer runs. */
class QuickstartDocsTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void documentedStepAndRecordCountsAreTheRunsOwn(@TempDir Path tokenizerDir) throws Exception {
        LoraFineTune quickstart = LoraFineTuneYaml.read(ROOT.resolve("examples/quickstart.yaml"));
        LoraFineTuneSpec spec = quickstart.getSpec();
        Path dataset = ROOT.resolve(spec.dataset().uri());
        BundledTokenizer.copyTo("llama3", tokenizerDir); // the tiny model's tokenizer
        int steps;
        int records;
        try (TextTokenizer tokenizer = TextTokenizer.load(tokenizerDir)) {
            TrainingData data = TrainingData.load(dataset, SpecTranslation.dataOptions(spec.dataset()), tokenizer,
                    spec.training().seed());
            steps = TrainingLoop.totalSteps(spec.training(),
                    data.train().batchesPerEpoch(spec.training().batchSize()));
            records = data.trainExamples() + data.validationExamples() + data.skippedExamples();
        }
        assertEquals(Files.readAllLines(dataset).stream().filter(l -> !l.isBlank()).count(), records);

        String row = Files.readAllLines(ROOT.resolve("examples/README.md")).stream()
                .filter(l -> l.startsWith("| `quickstart.yaml` |")).findFirst().orElseThrow();
        assertEquals(steps, number(row, "(\\d+) steps"), row);
        assertEquals(records, number(row, "(\\d+) alpaca records"), row);
        String yaml = Files.readString(ROOT.resolve("examples/quickstart.yaml"));
        assertEquals(steps, number(yaml, "(\\d+) steps in all"), "examples/quickstart.yaml comment");
    }

    private static int number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no '" + regex + "' in: " + text);
        return Integer.parseInt(m.group(1));
    }
}
