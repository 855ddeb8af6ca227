package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.data.template.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Three user/assistant exchanges after a system prompt; one user turn has padding spaces. */
    private static final String CHAT = """
            {"messages": [
              {"role": "system", "content": "You are a geography tutor."},
              {"role": "user", "content": "What is the capital of France?"},
              {"role": "assistant", "content": "Paris."},
              {"role": "user", "content": "  And its population?  "},
              {"role": "assistant", "content": "About 2.1 million in the city proper."},
              {"role": "user", "content": "Thanks!"},
              {"role": "assistant", "content": "You're welcome."}
            ]}""";

    @Test
    void llama3RendersTheTemplatesExactTextAndTrainsOnlyAssistantTurns() throws Exception {
        TextTokenizer tok = TestTokenizers.llama3();
        // This Llama 3 template trims every content and always ends with an open assistant header.
        String expected = "<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou are a geography tutor.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd its population?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nAbout 2.1 million in the city proper.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nThanks!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nYou're welcome.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, renderDirectly(tok, false));

        Example example = new ChatEncoder(tok).encode(JSON.readTree(CHAT));
        assertEquals(expected, tok.decode(example.tokens()));
        assertEquals(List.of("Paris.<|eot_id|>", "About 2.1 million in the city proper.<|eot_id|>",
                "You're welcome.<|eot_id|>"), trainedSegments(tok, example));
    }

    @Test
    void qwen3RendersTheTemplatesExactTextAndTrainsOnlyAssistantTurns() throws Exception {
        TextTokenizer tok = TestTokenizers.qwen();
        // Qwen 3 keeps content as is, and gives the final assistant turn (after the last user query) an
        // empty think block.
        String expected = "<|im_start|>system\nYou are a geography tutor.<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\n  And its population?  <|im_end|>\n"
                + "<|im_start|>assistant\nAbout 2.1 million in the city proper.<|im_end|>\n"
                + "<|im_start|>user\nThanks!<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\nYou're welcome.<|im_end|>\n";
        assertEquals(expected, renderDirectly(tok, false));
        assertEquals("<|im_start|>system\nYou are a geography tutor.<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
                render(tok, List.of(JSON.readTree(CHAT).get("messages").get(0), JSON.readTree(CHAT).get("messages").get(1)), true));

        Example example = new ChatEncoder(tok).encode(JSON.readTree(CHAT));
        assertEquals(expected, tok.decode(example.tokens()));
        assertEquals(List.of("Paris.<|im_end|>", "About 2.1 million in the city proper.<|im_end|>",
                "<think>\n\n</think>\n\nYou're welcome.<|im_end|>"), trainedSegments(tok, example));
    }

    @Test
    void chatmlRendersTheDefaultSystemPromptAndTrainsOnlyAssistantTurns() throws Exception {
        TextTokenizer tok = TestTokenizers.chatml();
        String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"Capital of France?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"Paris.\"}, {\"role\": \"user\", \"content\": "
                + "\"And of Peru?\"}, {\"role\": \"assistant\", \"content\": \"Lima.\"}]}";
        Example example = new ChatEncoder(tok).encode(JSON.readTree(chat));
        assertEquals("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
                + "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Peru?<|im_end|>\n<|im_start|>assistant\nLima.<|im_end|>\n",
                tok.decode(example.tokens()));
        assertEquals(List.of("Paris.<|im_end|>", "Lima.<|im_end|>"), trainedSegments(tok, example));
        assertEquals(151646, tok.vocabSize());
    }

    @Test
    void mistralRendersInstTurnsAndTrainsTheRepliesWithTheirEos() throws Exception {
        TextTokenizer tok = TestTokenizers.mistral();
        String chat = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
                + "{\"role\": \"user\", \"content\": \"Capital of France?\"}, {\"role\": \"assistant\", "
                + "\"content\": \"Paris.\"}, {\"role\": \"user\", \"content\": \"And of Peru?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"Lima.\"}]}";
        Example example = new ChatEncoder(tok).encode(JSON.readTree(chat));
        assertEquals("<s> [INST] Be brief.\n\nCapital of France? [/INST] Paris.</s> [INST] And of Peru? [/INST] "
                + "Lima.</s>", renderText(tok, chat));
        assertEquals(1L, example.tokens()[0], "one BOS, written by the template");
        assertEquals(List.of("Paris.</s>", "Lima.</s>"), trainedSegments(tok, example).stream()
                .map(String::strip).toList());
        assertEquals(32000, tok.vocabSize());
    }

    @Test
    void qwen3ToolCallsRenderThroughTheTemplateAndAreTrained() throws Exception {
        TextTokenizer tok = TestTokenizers.qwen();
        String chat = """
                {"messages": [
                  {"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": "", "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                  {"role": "tool", "content": "18C"},
                  {"role": "assistant", "content": "It is 18C in Paris."}
                ]}""";
        String toolCall = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        String expected = "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                + "<|im_start|>assistant\n" + toolCall + "<|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\nIt is 18C in Paris.<|im_end|>\n";
        Example example = new ChatEncoder(tok).encode(JSON.readTree(chat));
        assertEquals(expected, tok.decode(example.tokens()));
        assertEquals(List.of(toolCall + "<|im_end|>", "<think>\n\n</think>\n\nIt is 18C in Paris.<|im_end|>"),
                trainedSegments(tok, example));
    }

    @Test
    void unknownRolesAndMissingContentAreRejected() throws Exception {
        ChatEncoder encoder = new ChatEncoder(TestTokenizers.llama3());
        InvalidRecordException role = assertThrows(InvalidRecordException.class, () -> encoder.encode(JSON.readTree(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"bot\", \"content\": \"yo\"}]}")));
        assertTrue(role.getMessage().contains("messages[1]") && role.getMessage().contains("\"bot\""), role.getMessage());
        InvalidRecordException content = assertThrows(InvalidRecordException.class, () -> encoder.encode(
                JSON.readTree("{\"messages\": [{\"role\": \"user\", \"content\": 3}]}")));
        assertTrue(content.getMessage().contains("\"content\" must be a string"), content.getMessage());
        assertThrows(InvalidRecordException.class, () -> encoder.encode(JSON.readTree("{\"messages\": {}}")));
    }

    @Test
    void aChatWithoutAssistantTurnHasNothingToTrain() throws Exception {
        Example example = new ChatEncoder(TestTokenizers.qwen()).encode(
                JSON.readTree("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"));
        assertEquals(0, example.trainableTokens());
    }

    private static String renderText(TextTokenizer tok, String record) throws Exception {
        return render(tok, JSON.readTree(record).get("messages"), false);
    }

    private static String renderDirectly(TextTokenizer tok, boolean addGenerationPrompt) throws Exception {
        return render(tok, JSON.readTree(CHAT).get("messages"), addGenerationPrompt);
    }

    @SuppressWarnings("unchecked")
    private static String render(TextTokenizer tok, Iterable<JsonNode> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>();
        messages.forEach(m -> list.add(JSON.convertValue(m, Map.class)));
        return ChatTemplate.compile(tok.chatTemplate().orElseThrow(), tok.config().templateVariables())
                .render(list, addGenerationPrompt);
    }

    /** The decoded text of each run of consecutive target tokens. */
    static List<String> trainedSegments(TextTokenizer tok, Example example) {
        List<String> segments = new ArrayList<>();
        List<Long> run = new ArrayList<>();
        long[] targets = example.targets();
        for (int t = 0; t <= targets.length; t++) {
            if (t < targets.length && targets[t] != Batch.IGNORE) {
                assertEquals(example.tokens()[t + 1], targets[t], "targets are the next tokens");
                run.add(targets[t]);
            } else if (!run.isEmpty()) {
                segments.add(tok.decode(run.stream().mapToLong(Long::longValue).toArray()));
                run.clear();
            }
        }
        return segments;
    }
}
