package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoraFineTuneYamlTest {

    private static final String GOOD = """
            apiVersion: kubelora.io/v1alpha1
            kind: LoraFineTune
            metadata:
              name: demo
            spec:
              baseModel:
                uri: /models/tiny
              dataset:
                uri: data.jsonl
                format: chat
              lora:
                rank: 8
                targetModules: [q_proj, v_proj]
              training:
                maxSteps: 100
              output:
                uri: out
            """;

    private static String error(String yaml) {
        return assertThrows(InvalidSpecException.class, () -> LoraFineTuneYaml.parse(yaml, "f.yaml")).getMessage();
    }

    @Test
    void readsTheDocument() {
        LoraFineTune r = LoraFineTuneYaml.parse(GOOD, "f.yaml");
        assertEquals("demo", r.getMetadata().getName());
        assertEquals(DatasetFormat.CHAT, r.getSpec().dataset().format());
        assertEquals(8, r.getSpec().lora().rank());
        assertEquals(100, r.getSpec().training().maxSteps());
    }

    @Test
    void writtenDocumentReadsBackEqual() {
        LoraFineTune r = LoraFineTuneYaml.parse(GOOD, "f.yaml");
        LoraFineTune again = LoraFineTuneYaml.parse(LoraFineTuneYaml.write(r), "again.yaml");
        assertEquals(r.getSpec(), again.getSpec());
    }

    @Test
    void unknownFieldIsNamedWithItsLine() {
        String message = error(GOOD.replace("    rank: 8", "    rnak: 8"));
        assertTrue(message.contains("spec.lora.rnak: unknown field (line 12)"), message);
        assertTrue(message.contains("known fields: alpha, dropout, rank, targetModules, useRslora"), message);
    }

    @Test
    void unknownEnumValueListsTheAllowedOnes() {
        String message = error(GOOD.replace("format: chat", "format: openai"));
        assertTrue(message.contains("spec.dataset.format: invalid value 'openai'"), message);
        assertTrue(message.contains("one of alpaca, dolly, chat, sharegpt, text, auto"), message);
    }

    @Test
    void fractionForAnIntegerIsRefused() {
        String message = error(GOOD.replace("rank: 8", "rank: 8.5"));
        assertTrue(message.contains("spec.lora.rank"), message);
    }

    /** A value of the wrong type: the field, what it expects in words, what it got, and the line. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "rank: sixteen         | spec.lora.rank: expected an integer, was 'sixteen' (line 12)",
        "rank: true            | spec.lora.rank: expected an integer, was true (line 12)",
        "rank: [8]             | spec.lora.rank: expected an integer, was a list (line 12)",
        "rank: {r: 8}          | spec.lora.rank: expected an integer, was a mapping (line 12)",
        "rank: 8.5             | spec.lora.rank: expected an integer, was 8.5 (line 12)",
        "rank: 99999999999     | spec.lora.rank: expected an integer from -2147483648 to 2147483647, was 99999999999 (line 12)",
        "dropout: high         | spec.lora.dropout: expected a number, was 'high' (line 12)",
        "useRslora: 'yes'      | spec.lora.useRslora: expected true or false, was 'yes' (line 12)",
        "useRslora: 1          | spec.lora.useRslora: expected true or false, was 1 (line 12)",
        "targetModules: q_proj | spec.lora.targetModules: expected a list, was 'q_proj' (line 12)",
        "targetModules: [q, 7] | spec.lora.targetModules[1]: expected a string, was 7 (line 12)"})
    void wronglyTypedValueSaysWhatWasExpected(String field, String expected) {
        String message = error(GOOD.replace("rank: 8", field).replace("    targetModules: [q_proj, v_proj]\n",
                field.startsWith("targetModules") ? "" : "    targetModules: [q_proj, v_proj]\n"));
        assertTrue(message.contains(expected), message);
        assertTrue(!message.contains("Cannot") && !message.contains("java."), "Jackson internals: " + message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "image: 5                                | spec.image: expected a string, was 5",
        "image: {name: trainer}                  | spec.image: expected a string, was a mapping",
        "suspend: 'no'                           | spec.suspend: expected true or false, was 'no'",
        "quantization: 4                         | spec.quantization: expected one of none, nf4, was 4",
        "activeDeadlineSeconds: soon             | spec.activeDeadlineSeconds: expected an integer, was 'soon'",
        "credentials: s3-secret                  | spec.credentials: expected a mapping, was 's3-secret'",
        "resources: {memory: [32Gi]}             | spec.resources.memory: expected a quantity such as 32Gi, 500m or 4, was a list",
        "resources: {nodeSelector: {pool: [a]}}  | spec.resources.nodeSelector.pool: expected a string, was a list"})
    void everyKindOfFieldSaysWhatItExpects(String field, String expected) {
        String message = error(GOOD.replace("  output:\n", "  " + field + "\n  output:\n"));
        assertTrue(message.contains(expected + " (line 16)"), message);
    }

    /** What the API server refuses although Jackson would bind it: the Java reader refuses it too. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "resources: {tolerations: [null]}       | spec.resources.tolerations[0]: expected a mapping, was null (line 16)",
        "resources: {nodeSelector: {pool: ~}}   | spec.resources.nodeSelector.pool: expected a string, was null (line 16)",
        "resources: {cpu: 0.5}                  | spec.resources.cpu: expected a quantity such as 32Gi, 500m or 4, was 0.5 (quote a fraction, '0.5': unquoted, Kubernetes takes only whole numbers) (line 16)",
        "resources: {memory: 1.5}               | spec.resources.memory: expected a quantity such as 32Gi, 500m or 4, was 1.5"})
    void valuesTheApiServerRefusesAreRefusedInWords(String field, String expected) {
        String message = error(GOOD.replace("  output:\n", "  " + field + "\n  output:\n"));
        assertTrue(message.contains(expected), message);
        assertTrue(!message.contains("Cannot") && !message.contains("java."), "Jackson internals: " + message);
    }

    @Test
    void aNullListItemIsNamedWithItsLine() {
        String message = error(GOOD.replace("[q_proj, v_proj]", "[q_proj, null]"));
        assertTrue(message.contains("spec.lora.targetModules[1]: expected a string, was null (line 13)"), message);
        assertTrue(!message.contains("Cannot") && !message.contains("java."), "Jackson internals: " + message);
    }

    @Test
    void quotedFractionsAndWholeNumbersAreQuantities() {
        LoraFineTune r = LoraFineTuneYaml.parse(GOOD.replace("  output:\n",
                "  resources: {cpu: '0.5', memory: 34359738368}\n  output:\n"), "f.yaml");
        assertEquals("0.5", r.getSpec().resources().cpu().toString());
        assertEquals("34359738368", r.getSpec().resources().memory().toString());
    }

    @Test
    void aFileOfSeveralDocumentsSaysHowMany() {
        String message = error(GOOD + "---\n" + GOOD.replace("name: demo", "name: other"));
        assertEquals("f.yaml: invalid LoraFineTune: document: the file holds 2 YAML documents (separated by ---) "
                + "where one LoraFineTune is expected: put each run in a file of its own", message);
        assertTrue(error("---\n" + GOOD + "---\n" + GOOD + "---\n" + GOOD).contains("holds 3 YAML documents"));
        assertEquals("demo", LoraFineTuneYaml.parse("---\n" + GOOD + "---\n", "f.yaml").getMetadata().getName(),
                "document markers around one document are fine");
    }

    @Test
    void wrongKindAndApiVersionAreNamed() {
        assertTrue(error(GOOD.replace("kind: LoraFineTune", "kind: Job")).contains("kind: must be LoraFineTune"));
        assertTrue(error(GOOD.replace("kubelora.io/v1alpha1", "v1")).contains("apiVersion: must be kubelora.io/v1alpha1"));
    }

    @Test
    void brokenYamlIsAnErrorNotACrash() {
        String message = error("apiVersion: a: b\nkind: x\n");
        assertTrue(message.startsWith("f.yaml: invalid LoraFineTune: document: not valid YAML"), message);
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraFineTuneYaml.read(missing));
        assertTrue(e.getMessage().contains("nope.yaml: no such file"));
    }

    @Test
    void readsAFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("ft.yaml"), GOOD);
        assertEquals("demo", LoraFineTuneYaml.read(file).getMetadata().getName());
    }
}
