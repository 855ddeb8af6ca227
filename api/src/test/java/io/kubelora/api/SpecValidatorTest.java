package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {

    private static final String HEAD = """
            apiVersion: kubelora.io/v1alpha1
            kind: LoraFineTune
            metadata:
              name: t
            spec:
              baseModel:
                uri: s3://models/llama
              dataset:
                uri: s3://data/train.jsonl
              output:
                uri: s3://out/run
            """;

    @Test
    void minimalSpecIsValidAndTakesDefaults() {
        LoraFineTuneSpec spec = LoraFineTuneYaml.parse(HEAD, "t.yaml").getSpec();
        assertEquals(16, spec.lora().rank());
        assertEquals(32, spec.lora().alpha());
        assertEquals(List.of("all-linear"), spec.lora().targetModules());
        assertEquals(LoraSpec.LINEAR_MODULES, spec.lora().resolvedTargetModules());
        assertEquals(2.0, spec.lora().scaling());
        assertEquals(Quantization.NONE, spec.quantization());
        assertEquals(2e-4, spec.training().learningRate());
        assertEquals(DatasetFormat.AUTO, spec.dataset().format());
        assertEquals(2048, spec.dataset().maxSeqLength());
        assertEquals(1, spec.resources().gpus());
        assertTrue(spec.training().gradientCheckpointing());
    }

    @Test
    void rsloraScalesByRootOfRank() {
        LoraSpec lora = new LoraSpec(64, 16, null, null, true);
        assertEquals(2.0, lora.scaling(), 1e-12);
    }

    @Test
    void nf4GetsDoubleQuantByDefault() {
        LoraFineTuneSpec spec = LoraFineTuneYaml.parse(HEAD + "  quantization: nf4\n", "t.yaml").getSpec();
        assertTrue(spec.quantizationConfig().doubleQuant());
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                Arguments.of("  lora:\n    rank: 0\n", "spec.lora.rank", "at least 1 and at most 1024"),
                Arguments.of("  lora:\n    rank: 2048\n", "spec.lora.rank", "at most 1024"),
                Arguments.of("  lora:\n    dropout: 0.95\n", "spec.lora.dropout", "at most 0.9"),
                Arguments.of("  lora:\n    targetModules: [q_proj, lm_head]\n", "spec.lora.targetModules[1]",
                        "unknown module 'lm_head'; allowed: all-linear, q_proj"),
                Arguments.of("  lora:\n    targetModules: [all-linear, q_proj]\n", "spec.lora.targetModules",
                        "cannot be combined"),
                Arguments.of("  lora:\n    targetModules: []\n", "spec.lora.targetModules", "at least one"),
                Arguments.of("  lora:\n    targetModules: [v_proj, v_proj]\n", "spec.lora.targetModules[1]",
                        "listed twice"),
                Arguments.of("  training:\n    learningRate: 0\n", "spec.training.learningRate", "greater than 0"),
                Arguments.of("  training:\n    batchSize: 0\n", "spec.training.batchSize", "at least 1"),
                Arguments.of("  training:\n    warmupRatio: 1.5\n", "spec.training.warmupRatio", "at most 1"),
                Arguments.of("  training:\n    epochs: 0\n", "spec.training.epochs", "at least 1"),
                Arguments.of("  training:\n    evalEverySteps: 10\n", "spec.training.evalEverySteps",
                        "validationSplit"),
                Arguments.of("  training:\n    earlyStopping: {patience: 2}\n", "spec.training.earlyStopping",
                        "needs validation data"),
                Arguments.of("  training:\n    keepBest: true\n", "spec.training.keepBest", "needs validation data"),
                Arguments.of("  training:\n    earlyStopping: {patience: 0}\n",
                        "spec.training.earlyStopping.patience", "at least 1"),
                Arguments.of("  evaluation:\n    maxNewTokens: 0\n", "spec.evaluation.maxNewTokens", "at least 1"),
                Arguments.of("  evaluation:\n    prompts: [42]\n", "spec.evaluation.prompts[0]",
                        "a string or a list of {role, content} messages"),
                Arguments.of("  evaluation:\n    prompts: ['']\n", "spec.evaluation.prompts[0]", "is empty"),
                Arguments.of("  evaluation:\n    prompts: [[]]\n", "spec.evaluation.prompts[0]", "empty list"),
                Arguments.of("  evaluation:\n    prompts:\n    - [{role: user}]\n", "spec.evaluation.prompts[0][0]",
                        "two strings"),
                Arguments.of("  evaluation:\n    prompts:\n    - [{role: bot, content: hi}]\n",
                        "spec.evaluation.prompts[0][0].role", "one of system, user, assistant or tool"),
                Arguments.of("  evaluation:\n    prompts:\n    - [{role: user, content: hi}, {role: assistant, "
                        + "content: hello}]\n", "spec.evaluation.prompts[0]", "ends with an assistant message"),
                Arguments.of("  quantizationConfig:\n    doubleQuant: false\n", "spec.quantizationConfig",
                        "only allowed with spec.quantization: nf4"),
                Arguments.of("  merge:\n    enabled: true\n", "spec.merge.output.uri", "required"),
                Arguments.of("  merge:\n    maxShardSize: 5 gigs\n", "spec.merge.maxShardSize", "a size like"),
                Arguments.of("  resources:\n    gpus: 17\n", "spec.resources.gpus", "at most 16"),
                Arguments.of("  env:\n  - {name: HTTPS_PROXY, value: a}\n  - {name: HTTPS_PROXY, value: b}\n",
                        "spec.env[1].name", "'HTTPS_PROXY' is listed twice"),
                Arguments.of("  env:\n  - {name: KUBELORA_RUN_NAME, value: x}\n", "spec.env[0].name",
                        "KUBELORA_RUN_NAME may not be set: the trainer sets it itself"),
                Arguments.of("  env:\n  - {name: JAVA_TOOL_OPTIONS, value: -javaagent:/x.jar}\n", "spec.env[0].name",
                        "would change the code the trainer runs"),
                Arguments.of("  env:\n  - {name: 1ST, value: x}\n", "spec.env[0].name", "is not a variable name"));
    }

    @ParameterizedTest
    @MethodSource("invalidSpecs")
    void invalidValueNamesTheFieldAndTheRange(String extra, String field, String message) {
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(HEAD + extra, "bad.yaml"));
        Violation v = e.violations().stream().filter(x -> x.field().equals(field)).findFirst()
                .orElseThrow(() -> new AssertionError("no violation of " + field + " in " + e.getMessage()));
        assertTrue(v.message().contains(message), v.message());
        assertTrue(e.getMessage().startsWith("bad.yaml: "), e.getMessage());
    }

    @Test
    void keepBestDefaultsToTrueWithValidationDataOnly() {
        assertTrue(!LoraFineTuneYaml.parse(HEAD, "t.yaml").getSpec().keepsBest());
        String split = HEAD.replace("    uri: s3://data/train.jsonl\n", "    uri: s3://data/train.jsonl\n"
                + "    validationSplit: 0.1\n");
        assertTrue(LoraFineTuneYaml.parse(split, "t.yaml").getSpec().keepsBest());
        String file = HEAD.replace("    uri: s3://data/train.jsonl\n", "    uri: s3://data/train.jsonl\n"
                + "    validationUri: s3://data/valid.jsonl\n");
        assertTrue(LoraFineTuneYaml.parse(file, "t.yaml").getSpec().keepsBest());
        assertTrue(!LoraFineTuneYaml.parse(file + "  training:\n    keepBest: false\n", "t.yaml").getSpec()
                .keepsBest());
    }

    @Test
    void promptsAreStringsOrMessageLists() {
        String yaml = HEAD + """
                  evaluation:
                    maxNewTokens: 32
                    prompts:
                    - What is the capital of France?
                    - - {role: system, content: Answer in French.}
                      - {role: user, content: 'What is the capital of France?'}
                """;
        EvaluationSpec evaluation = LoraFineTuneYaml.parse(yaml, "t.yaml").getSpec().evaluation();
        assertEquals(32, evaluation.maxNewTokens());
        assertEquals("What is the capital of France?", evaluation.prompts().get(0).asText());
        assertEquals("system", evaluation.prompts().get(1).get(0).get("role").asText());
    }

    @Test
    void validationSplitAndValidationFileExcludeEachOther() {
        String yaml = HEAD.replace("    uri: s3://data/train.jsonl\n", "    uri: s3://data/train.jsonl\n"
                + "    validationSplit: 0.1\n    validationUri: ftp://data/valid.jsonl\n");
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(yaml, "bad.yaml"));
        assertTrue(e.getMessage().contains("spec.dataset: set validationSplit or validationUri, not both"),
                e.getMessage());
        assertTrue(e.getMessage().contains("spec.dataset.validationUri: scheme 'ftp://'"), e.getMessage());
    }

    @Test
    void unsupportedUriSchemeIsNamed() {
        String yaml = HEAD.replace("s3://data/train.jsonl", "ftp://host/train.jsonl");
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(yaml, "bad.yaml"));
        assertTrue(e.getMessage().contains("spec.dataset.uri: scheme 'ftp://' is not supported"), e.getMessage());
    }

    @Test
    void outputCannotBeAHubRepository() {
        String yaml = HEAD.replace("s3://out/run", "hf://me/out");
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(yaml, "bad.yaml"));
        assertTrue(e.getMessage().contains("spec.output.uri"), e.getMessage());
    }

    @Test
    void everyReservedPrefixAndNameIsRefusedAndOthersAreNot() {
        for (String name : Stream.concat(EnvVarSpec.RESERVED_PREFIXES.stream().map(p -> p + "X"),
                EnvVarSpec.RESERVED_NAMES.stream()).toList()) {
            assertTrue(EnvVarSpec.isReserved(name), name);
        }
        for (String name : List.of("HF_ENDPOINT", "HTTPS_PROXY", "NO_PROXY", "CUDA_LAUNCH_BLOCKING", "MY_HOME")) {
            assertTrue(!EnvVarSpec.isReserved(name), name);
        }
    }

    @Test
    void aRunNamingAProfileMayLeaveModelDataOutputAndRulesAcrossFieldsToIt() {
        String yaml = "apiVersion: kubelora.io/v1alpha1\nkind: LoraFineTune\nmetadata:\n  name: t\nspec:\n"
                + "  profile: team-default\n  merge:\n    enabled: true\n  training:\n    evalEverySteps: 10\n";
        LoraFineTuneSpec spec = LoraFineTuneYaml.parse(yaml, "t.yaml").getSpec();
        assertEquals("team-default", spec.profile());
        // Whatever it sets itself is still checked.
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(yaml + "  lora:\n    rank: 0\n", "bad.yaml"));
        assertEquals(List.of("spec.lora.rank"), e.violations().stream().map(Violation::field).toList());
    }

    @Test
    void missingRequiredSectionsAreEachNamed() {
        String yaml = "apiVersion: kubelora.io/v1alpha1\nkind: LoraFineTune\nmetadata:\n  name: t\nspec:\n"
                + "  lora:\n    rank: 8\n";
        InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
                () -> LoraFineTuneYaml.parse(yaml, "bad.yaml"));
        List<String> fields = e.violations().stream().map(Violation::field).toList();
        assertEquals(List.of("spec.baseModel", "spec.dataset", "spec.output"), fields);
    }
}
