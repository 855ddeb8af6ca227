package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        String message = error(GOOD.replace("format: chat", "format: sharegpt"));
        assertTrue(message.contains("spec.dataset.format: invalid value 'sharegpt'"), message);
        assertTrue(message.contains("one of alpaca, chat, text, auto"), message);
    }

    @Test
    void fractionForAnIntegerIsRefused() {
        String message = error(GOOD.replace("rank: 8", "rank: 8.5"));
        assertTrue(message.contains("spec.lora.rank"), message);
    }

    @Test
    void stringForANumberIsRefused() {
        String message = error(GOOD.replace("rank: 8", "rank: \"eight\""));
        assertTrue(message.contains("spec.lora.rank"), message);
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
