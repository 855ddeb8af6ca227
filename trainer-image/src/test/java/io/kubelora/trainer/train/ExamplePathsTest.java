package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.api.EvaluationSpec;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.OutputSpec;
import io.kubelora.api.TrainingSpec;
import io.kubelora.trainer.cli.CommandRun;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.data.DatasetFormat;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.storage.HubFixture;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples that read from the Hugging Face Hub, run as written against a local stand-in for the Hub: the
 * SmolLM2 example on a random model of SmolLM2's shape (2 of its 30 layers) with a tokenizer of its kind (GPT-2
 * style byte-level BPE, ChatML template), and the Dolly example's dataset, the real Dolly file layout read without a
 * conversion step. The real SmolLM2 weights are not used: no hub is reachable from the build.
 */
class ExamplePathsTest {

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** SmolLM2-135M-Instruct's chat template (tokenizer_config.json): ChatML with a default system prompt. */
    private static final String SMOLLM2_TEMPLATE = "{% for message in messages %}{% if loop.first and messages[0]"
            + "['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
            + "Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
            + "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    @TempDir
    Path dir;

    @Test
    void theSmolLm2ExampleTrainsFromTheHubAndAnswersItsPromptsAsGenerateDoes() throws Exception {
        LoraFineTune example = LoraFineTuneYaml.read(REPOSITORY.resolve("examples/smollm2-135m-cpu.yaml"));
        Path model = smolLm2LikeModel(dir.resolve("smollm2"));
        Map<String, HubFixture.RepoFile> files = new HashMap<>();
        for (String name : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json")) {
            files.put(name, HubFixture.regular(Files.readString(model.resolve(name))));
        }
        files.put("model.safetensors", HubFixture.lfs(Files.readAllBytes(model.resolve("model.safetensors"))));
        files.put("README.md", HubFixture.regular("# SmolLM2 stand-in"));
        Path out = dir.resolve("out");
        LoraFineTuneSpec spec = example.getSpec();
        TrainingSpec t = spec.training();
        // As written, but 3 steps of 2, 8 new tokens and the output here: the shape and path are under test, not
        // learning (which the real model needs minutes of CPU for).
        example.setSpec(spec.toBuilder().output(new OutputSpec(out.toString()))
                .training(new TrainingSpec(t.epochs(), 3, t.learningRate(), 2,
                        t.gradientAccumulationSteps(), t.warmupRatio(), t.lrScheduler(), t.weightDecay(),
                        t.maxGradNorm(), t.seed(), t.precision(), t.gradientCheckpointing(), t.logEverySteps(), 0,
                        t.checkpointEverySteps(), t.checkpointsToKeep(), t.resume(), t.earlyStopping(), t.keepBest(),
                        t.memoryCheck(), t.offloadActivations(), t.optimizerOffload()))
                .evaluation(new EvaluationSpec(spec.evaluation().prompts().subList(0, 2), 8)).build());
        FineTuneRun.Result result;
        try (HubFixture hub = new HubFixture()) {
            hub.addRepo("HuggingFaceTB/SmolLM2-135M-Instruct", false, files);
            Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint().toString(), "KUBELORA_CACHE_DIR",
                    dir.resolve("cache").toString());
            try (Storage storage = Storage.fromEnvironment(env, REPOSITORY)) {
                result = new FineTuneRun(example, storage, dir.resolve("work"),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), List.of()).execute();
            }
            assertTrue(hub.hubRequests.contains("GET /HuggingFaceTB/SmolLM2-135M-Instruct/resolve/" + HubFixture.COMMIT
                    + "/model.safetensors"), hub.hubRequests.toString());
        }
        RunSummary summary = result.summary();
        assertEquals(3, summary.steps());
        assertEquals("chat", summary.promptTemplate());
        assertEquals(262, summary.trainExamples());
        assertEquals(29, summary.validationExamples());
        assertTrue(summary.finalEvalLoss() != null && summary.finalEvalAccuracy() != null);

        List<JsonNode> samples = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("samples.jsonl"))) {
            samples.add(JSON.readTree(line));
        }
        assertEquals(4, samples.size(), "2 prompts at step 0 and at the end");
        String question = "What is the capital of Japan?";
        String written = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                + "<|im_end|>\n<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(written, samples.get(0).get("prompt").asText(), "the prompt as the chat data was written");
        assertEquals(written + summary.samples().get(0).completion(), generate(model, out.resolve("adapter"), question),
                "generate writes the prompt with the recorded chat template and answers as the run did");
    }

    /** The counts the example's comments, examples/README.md and "See it learn" give are those of the run. */
    @Test
    void theSmolLm2ExamplesDocumentedCountsAreTheRunsOwn() throws Exception {
        LoraFineTuneSpec spec = LoraFineTuneYaml.read(REPOSITORY.resolve("examples/smollm2-135m-cpu.yaml")).getSpec();
        TrainingSpec t = spec.training();
        TrainingData data;
        try (TextTokenizer tokenizer = TextTokenizer.load(smolLm2LikeTokenizer(dir.resolve("tokenizer")))) {
            data = TrainingData.load(REPOSITORY.resolve(spec.dataset().uri()),
                    SpecTranslation.dataOptions(spec.dataset()), tokenizer, t.seed());
        }
        int steps = TrainingLoop.totalSteps(t, data.train().batchesPerEpoch(t.batchSize()));
        int records = data.trainExamples() + data.validationExamples() + data.skippedExamples();
        String yaml = Files.readString(REPOSITORY.resolve("examples/smollm2-135m-cpu.yaml"));
        String readme = Files.readString(REPOSITORY.resolve("README.md"));
        String seeItLearn = readme.substring(readme.indexOf("## See it learn"));
        String examples = Files.readString(REPOSITORY.resolve("examples/README.md"));
        assertEquals(steps, number(yaml, "(\\d+) steps in all"), "examples/smollm2-135m-cpu.yaml");
        assertEquals(data.trainExamples(), number(yaml, "(\\d+) training conversations"));
        assertEquals(data.validationExamples(), number(yaml, "(\\d+) of the \\d+ conversations measure"));
        assertEquals(steps, number(seeItLearn, "(\\d+) optimizer steps"), "README See it learn");
        assertEquals(t.evalEverySteps(), number(seeItLearn, "every (\\d+) steps"), "README See it learn");
        for (String doc : List.of(yaml, seeItLearn, examples)) {
            assertEquals(records, number(doc, "(\\d+) (?:chat )?(?:conversations|questions)"), doc);
        }
    }

    private static int number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no '" + regex + "' in: " + text);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void theDollyExampleReadsThePublishedDollyFileAsItIs() throws Exception {
        LoraFineTuneSpec spec = LoraFineTuneYaml.read(REPOSITORY.resolve("examples/llama-3.2-1b-lora-dolly.yaml"))
                .getSpec();
        String dolly = """
                {"instruction": "When did Virgin Australia start operating?", "context": "Virgin Australia commenced services on 31 August 2000.", "response": "Virgin Australia commenced services on 31 August 2000.", "category": "closed_qa"}
                {"instruction": "Which is a species of fish? Tope or Rope", "context": "", "response": "Tope", "category": "classification"}
                """;
        try (HubFixture hub = new HubFixture()) {
            hub.addRepo("datasets/databricks/databricks-dolly-15k", false,
                    Map.of("databricks-dolly-15k.jsonl", HubFixture.regular(dolly)));
            Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint().toString(), "KUBELORA_CACHE_DIR",
                    dir.resolve("cache").toString());
            try (Storage storage = Storage.fromEnvironment(env, REPOSITORY);
                 TextTokenizer tokenizer = TextTokenizer.load(tokenizerDir("llama3"))) {
                Path file = storage.fetchFile(spec.dataset().uri());
                TrainingData data = TrainingData.load(file, SpecTranslation.dataOptions(spec.dataset()), tokenizer,
                        spec.training().seed());
                assertEquals(DatasetFormat.DOLLY, data.format());
                assertEquals(2, data.trainExamples() + data.validationExamples());
            }
        }
    }

    /** SmolLM2-135M's config.json with 2 layers and the ChatML tokenizer's vocabulary; SmolLM2's template. */
    private static Path smolLm2LikeModel(Path dir) throws IOException {
        smolLm2LikeTokenizer(dir);
        long imStart = 151644;
        long imEnd = 151645;
        ModelConfig shape = ModelShapes.config("smollm2-135m");
        ModelConfig config = shape.toBuilder().numHiddenLayers(2).vocabSize(BundledTokenizer.vocabSize("chatml"))
                .bosTokenId(imStart).eosTokenIds(List.of(imEnd)).padTokenId(imEnd).build();
        assertTrue(config.tieWordEmbeddings() && config.headDim() == 64 && config.numKeyValueHeads() == 3);
        ModelInitializer.write(config, 135, dir);
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": " + imStart
                + ", \"eos_token_id\": " + imEnd + ", \"pad_token_id\": " + imEnd + "}");
        return dir;
    }

    /** The ChatML tokenizer (GPT-2 style byte-level BPE) with SmolLM2's chat template and special tokens. */
    private static Path smolLm2LikeTokenizer(Path dir) throws IOException {
        BundledTokenizer.copyTo("chatml", dir);
        ObjectNode tokenizer = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        tokenizer.put("chat_template", SMOLLM2_TEMPLATE).put("bos_token", "<|im_start|>")
                .put("eos_token", "<|im_end|>").put("pad_token", "<|im_end|>");
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizer);
        return dir;
    }

    private Path tokenizerDir(String family) {
        Path tokenizer = dir.resolve("tokenizer-" + family);
        BundledTokenizer.copyTo(family, tokenizer);
        return tokenizer;
    }

    /** What {@code kubelora generate} prints: the prompt as written, then the answer. */
    private static String generate(Path model, Path adapter, String prompt) {
        CommandRun run = CommandRun.of("generate", "--model", model.toString(), "--adapter", adapter.toString(),
                "--prompt", prompt, "--max-new-tokens", "8");
        assertEquals(0, run.exitCode(), run.err());
        return run.line();
    }
}
