package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init-model gives each architecture a tokenizer of its own family. */
class InitModelCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTinyMistralGetsAMistralStyleTokenizerAndTemplate(@TempDir Path dir) throws Exception {
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
