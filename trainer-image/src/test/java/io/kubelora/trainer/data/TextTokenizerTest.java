package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {

    private static final String TEXT = "Hello, world! Ünïcödé 😀 and tabs\tand\nnewlines  ";

    @Test
    void llama3RoundTripsTextAndKnowsItsSpecialTokens() {
        TextTokenizer tok = TestTokenizers.llama3();
        long[] ids = tok.encode(TEXT, false);
        assertEquals(TEXT, tok.decode(ids));
        assertEquals(9906, ids[0], "\"Hello\" is id 9906 in Llama 3");
        assertEquals(128001, tok.eosTokenId(), "<|end_of_text|>");
        assertEquals(128001, tok.padTokenId(), "no pad token: falls back to eos");
        assertEquals(128000, tok.bosTokenId().orElseThrow());
        assertEquals(128256, tok.vocabSize());
        assertTrue(tok.specialTokens().contains("<|eot_id|>"));
        assertTrue(tok.chatTemplate().orElseThrow().contains("<|start_header_id|>"));
        assertArrayEquals(new long[] {128000, 9906}, tok.encode("<|begin_of_text|>Hello", false),
                "special token text maps to its id");
        assertEquals(3000, tok.encode(" word".repeat(3000), true).length, "no truncation or padding by the library");
    }

    @Test
    void qwenRoundTripsTextAndUsesItsPadToken() {
        TextTokenizer tok = TestTokenizers.qwen();
        assertEquals(TEXT, tok.decode(tok.encode(TEXT, true)));
        assertEquals(151645, tok.eosTokenId(), "<|im_end|>");
        assertEquals(151643, tok.padTokenId(), "<|endoftext|>");
        assertTrue(tok.bosTokenId().isEmpty());
        assertEquals(151669, tok.vocabSize());
        assertEquals(151669, BundledTokenizer.vocabSize("qwen"));
        assertEquals(128256, BundledTokenizer.vocabSize("llama3"));
    }

    @Test
    void offsetsAreJavaIndexesEvenAfterSurrogatePairs() {
        TextTokenizer tok = TestTokenizers.llama3();
        String text = "😀😀 end<|eot_id|>x";
        TextTokenizer.TokenSpans spans = tok.encodeWithOffsets(text, false);
        int eot = -1;
        for (int t = 0; t < spans.ids().length; t++) {
            if (spans.ids()[t] == 128009) {
                eot = t;
            }
        }
        assertEquals(text.indexOf("<|eot_id|>"), spans.starts()[eot]);
        assertEquals(text.indexOf('x'), spans.starts()[spans.ids().length - 1]);
    }

    @Test
    void addBosTokenPrependsBosOnce(@TempDir Path dir) throws IOException {
        BundledTokenizer.copyTo("llama3", dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("tokenizer_config.json").toFile());
        config.put("add_bos_token", true);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            assertArrayEquals(new long[] {128000, 9906}, tok.encode("Hello", true));
            assertArrayEquals(new long[] {9906}, tok.encode("Hello", false));
            assertArrayEquals(new long[] {128000, 9906}, tok.encode("<|begin_of_text|>Hello", true));
        }
    }

    @Test
    void copyToWritesAModelFolderTokenizer(@TempDir Path dir) throws IOException {
        BundledTokenizer.copyTo("qwen", dir);
        JsonNode map = new ObjectMapper().readTree(dir.resolve("special_tokens_map.json").toFile());
        assertEquals("<|im_end|>", map.get("eos_token").asText());
        assertEquals("<|endoftext|>", map.get("pad_token").asText());
        assertTrue(map.get("additional_special_tokens").isArray());
        assertTrue(Files.size(dir.resolve("tokenizer.json")) > 1_000_000);
        assertThrows(IllegalArgumentException.class, () -> BundledTokenizer.copyTo("gpt2", dir));
    }

    @Test
    void missingTokenizerIsNamed(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}
