package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * init-model writes a new folder and never writes over one that holds anything (a real model, say), and gives each
 * architecture a tokenizer of its own family.
 */
class InitModelCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static int run(StringWriter err, String... args) {
        return new CommandLine(new InitModelCommand()).setErr(new PrintWriter(err))
                .setCaseInsensitiveEnumValuesAllowed(true).setExecutionExceptionHandler(new ErrorReporter())
                .execute(args);
    }

    @Test
    void writesANewFolderAndRefusesOneThatHoldsFiles() throws Exception {
        assertEquals(0, run(new StringWriter(), "--arch", "llama", "--out", dir.resolve("new").toString()));
        assertTrue(Files.isRegularFile(dir.resolve("new/model.safetensors")));

        Path model = Files.createDirectories(dir.resolve("real-model"));
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 4096}");
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "--arch", "llama", "--out", model.toString()));
        assertTrue(err.toString().contains("--out " + model + " is not empty (it holds config.json): init-model "
                + "writes a whole new model folder and would overwrite its files; name a new or empty folder"),
                err.toString());
        assertEquals("{\"hidden_size\": 4096}", Files.readString(model.resolve("config.json")));
        try (var children = Files.list(model)) {
            assertEquals(1, children.count(), "nothing was written beside it");
        }
    }

    @Test
    void aTinyMistralGetsAMistralStyleTokenizerAndTemplate() throws Exception {
        assertEquals(0, Main.run("init-model", "--arch", "mistral", "--preset", "tiny", "--out", dir.toString()));
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        assertEquals("MistralForCausalLM", config.get("architectures").get(0).asText());
        assertEquals(32000, config.get("vocab_size").asInt(), "the Llama 2 SentencePiece vocabulary");
        JsonNode tokenizer = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("</s>", tokenizer.get("eos_token").asText());
        assertTrue(tokenizer.get("chat_template").asText().contains("[INST]"), "Mistral's [INST] template");
        JsonNode model = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        assertTrue(model.path("model").path("byte_fallback").asBoolean() && model.path("normalizer").toString()
                .contains("\u2581"), "a SentencePiece-style BPE (byte fallback, the \u2581 word marker), not "
                + "Llama 3's");
    }
}
