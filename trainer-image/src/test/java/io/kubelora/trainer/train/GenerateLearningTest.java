package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.cli.CommandRun;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning shown by what the model says, not only by its loss: a tiny random Llama fine-tuned on the opposites of
 * eight words answers most of them exactly through {@code kubelora generate}, where the base model answers none;
 * and the answers the run wrote to samples.jsonl (before training, and of the delivered adapter) are the very
 * prompts and greedy answers {@code generate} gives. 80 steps of 8 short sequences: about 15 s of CPU.
 */
class GenerateLearningTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theFineTunedModelAnswersItsTaskThroughGenerateAndTheBaseModelDoesNot(@TempDir Path dir) throws Exception {
        Path model = ColourTask.model(dir, 5);
        Path data = OppositesTask.data(dir, 8);
        Path out = dir.resolve("out");
        String prompts = OppositesTask.questions().stream().map(q -> "      - '" + q + "'")
                .collect(Collectors.joining("\n"));
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: opposites
                spec:
                  baseModel:
                    uri: %s
                  dataset:
                    uri: %s
                    format: text
                    validationSplit: 0.125
                  lora:
                    rank: 16
                    alpha: 32
                    dropout: 0.0
                  training:
                    maxSteps: 80
                    batchSize: 8
                    learningRate: 0.005
                    lrScheduler: constant
                    warmupRatio: 0.0
                    logEverySteps: 10
                    evalEverySteps: 40
                    checkpointEverySteps: 0
                    precision: fp32
                  evaluation:
                    maxNewTokens: 4
                    prompts:
                %s
                  output:
                    uri: %s
                  resources:
                    gpus: 0
                """.formatted(model, data, prompts, out);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        FineTuneRun.Result result;
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            result = new FineTuneRun(LoraFineTuneYaml.parse(yaml, "opposites.yaml"), storage, dir.resolve("work"),
                    new PrintStream(log, true, StandardCharsets.UTF_8), List.of()).execute();
        }
        String logText = log.toString(StandardCharsets.UTF_8);

        List<JsonNode> samples = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("samples.jsonl"))) {
            samples.add(JSON.readTree(line));
        }
        int adapterStep = result.summary().adapterStep();
        List<String> trained = new ArrayList<>();
        List<String> base = new ArrayList<>();
        int trainedRight = 0;
        int baseRight = 0;
        List<String> questions = OppositesTask.questions();
        for (int i = 0; i < questions.size(); i++) {
            String question = questions.get(i);
            String expected = OppositesTask.answer(question);
            String withAdapter = generate(model, out.resolve("adapter"), question, null);
            String withoutAdapter = generate(model, null, question, "none");
            trained.add(withAdapter);
            base.add(withoutAdapter);
            trainedRight += withAdapter.equals(expected) ? 1 : 0;
            baseRight += withoutAdapter.equals(expected) ? 1 : 0;

            JsonNode before = sampleAt(samples, 0, i);
            JsonNode after = sampleAt(samples, adapterStep, i);
            assertEquals(question, before.get("prompt").asText(), "text data: the prompt as it is");
            assertEquals(withoutAdapter, before.get("completion").asText(), "step 0 answers are the base model's");
            assertEquals(withAdapter, after.get("completion").asText(), "the delivered adapter's answers");
            assertEquals(withAdapter, result.summary().samples().get(i).completion());
        }
        System.out.printf("opposites through generate: fine-tuned %d/%d, base %d/%d%n", trainedRight, questions.size(),
                baseRight, questions.size());
        assertTrue(trainedRight > questions.size() / 2, "the fine-tuned model answers only " + trainedRight + " of "
                + questions.size() + ": " + trained + "\n" + logText);
        assertTrue(baseRight <= questions.size() / 2, "the base model already answers " + baseRight + ": " + base);
    }

    private static JsonNode sampleAt(List<JsonNode> samples, int step, int index) {
        List<JsonNode> atStep = samples.stream().filter(s -> s.get("step").asInt() == step).toList();
        assertEquals(OppositesTask.OPPOSITES.size(), atStep.size(), "samples at step " + step);
        return atStep.get(index);
    }

    /** The completion {@code kubelora generate} prints after the prompt (the prompt as written, then the answer). */
    private static String generate(Path model, Path adapter, String prompt, String template) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt", prompt,
                "--max-new-tokens", "4"));
        if (adapter != null) {
            args.addAll(List.of("--adapter", adapter.toString()));
        }
        if (template != null) {
            args.addAll(List.of("--template", template));
        }
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        String text = run.line();
        assertTrue(text.startsWith(prompt), "generate prints the prompt, then the answer: " + text);
        return text.substring(prompt.length());
    }
}
