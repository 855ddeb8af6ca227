package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.TrainingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every LoraFineTune under examples/ reads with the strict Java reader and passes the CRD schema and CEL rules. */
class ExamplesTest {

    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final CrdValidator VALIDATOR = CrdValidator.forProjectCrd();

    /** A LoraFineTune found in a file; files may hold several YAML documents. */
    record Example(Path file, int index, JsonNode document) {
        @Override
        public String toString() {
            return EXAMPLES.relativize(file) + "#" + index;
        }
    }

    static List<Example> examples() throws IOException {
        List<Example> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(EXAMPLES)) {
            files = walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .toList();
        }
        for (Path file : files) {
            try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                int index = 0;
                while (docs.hasNext()) {
                    JsonNode doc = docs.next();
                    if (doc != null && "LoraFineTune".equals(doc.path("kind").asText())) {
                        found.add(new Example(file, index, doc));
                    }
                    index++;
                }
            }
        }
        return found;
    }

    @Test
    void theDocumentedExamplesExist() throws IOException {
        List<String> names = examples().stream().map(e -> e.file().getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("quickstart.yaml", "llama-3.2-1b-lora-dolly.yaml",
                "llama-3.1-8b-qlora.yaml", "smollm2-135m-cpu.yaml")), "examples found: " + names);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void readsWithTheStrictJavaReader(Example example) throws IOException {
        LoraFineTune run = LoraFineTuneYaml.parse(Files.readString(example.file()), example.file().toString());
        assertEquals(example.document().path("metadata").path("name").asText(), run.getMetadata().getName());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void passesTheCrdSchemaAndCelRules(Example example) {
        assertEquals(List.of(), VALIDATOR.validate(example.document()), example.toString());
    }

    @Test
    void quickstartTrainsOnTheBundledDatasetOnCpu() throws IOException {
        Path quickstart = EXAMPLES.resolve("quickstart.yaml");
        LoraFineTune run = LoraFineTuneYaml.read(quickstart);
        Path dataset = Path.of("..").resolve(run.getSpec().dataset().uri());
        assertTrue(Files.isRegularFile(dataset), "quickstart dataset missing: " + dataset);
        assertEquals(0, run.getSpec().resources().gpus());
        List<String> lines = Files.readAllLines(dataset);
        assertTrue(lines.size() >= 200 && lines.size() <= 400, "quickstart dataset has " + lines.size() + " lines");
        // A quick run: some 60 to 240 optimizer steps (about 20 s on 2 cores), whether or not a last partial
        // batch counts.
        TrainingSpec training = run.getSpec().training();
        double trainExamples = lines.size() * (1 - run.getSpec().dataset().validationSplit());
        double stepsPerEpoch = trainExamples / (training.batchSize() * training.gradientAccumulationSteps());
        long fewest = (long) Math.floor(stepsPerEpoch) * training.epochs();
        long most = (long) Math.ceil(stepsPerEpoch) * training.epochs();
        if (training.maxSteps() != null) {
            fewest = Math.min(fewest, training.maxSteps());
            most = Math.min(most, training.maxSteps());
        }
        assertTrue(fewest >= 60 && most <= 240, "quickstart takes " + fewest + " to " + most + " steps");
        for (int i = 0; i < lines.size(); i++) {
            JsonNode record = YAML.readTree(lines.get(i));
            for (String field : List.of("instruction", "input", "output")) {
                assertTrue(record.path(field).isTextual(), dataset + " line " + (i + 1) + ": no text field " + field);
            }
        }
    }
}
