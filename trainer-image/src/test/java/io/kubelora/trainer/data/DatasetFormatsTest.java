package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ShareGPT and Dolly records, and the edges of the loss masks, on the real Llama 3 and Qwen 3 tokenizers: each format
 * renders to the exact text expected and trains only the response / assistant tokens; alpaca ids are those of the
 * whole text; a reply quoting special-token text is trained up to its real end of turn.
 */
class DatasetFormatsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHAREGPT = """
            {"conversations": [
              {"from": "system", "value": "You are terse."},
              {"from": "human", "value": "Capital of Italy?"},
              {"from": "gpt", "value": "Rome."},
              {"from": "human", "value": "And of Spain?"},
              {"from": "gpt", "value": "Madrid."}
            ]}""";
    private static final String DOLLY = "{\"instruction\": \"When was the tower finished?\", \"context\": "
            + "\"The Eiffel Tower was finished in 1889.\", \"response\": \"In 1889.\", \"category\": \"closed_qa\"}";

    @TempDir
    Path dir;

    @Test
    void shareGptRendersAsTheChatItStandsForAndTrainsTheGptTurns() throws Exception {
        TextTokenizer tok = TestTokenizers.qwen();
        Example example = new ShareGptEncoder(tok).encode(JSON.readTree(SHAREGPT));
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                + "<|im_start|>user\nCapital of Italy?<|im_end|>\n"
                + "<|im_start|>assistant\nRome.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Spain?<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\nMadrid.<|im_end|>\n", tok.decode(example.tokens()));
        assertEquals(List.of("Rome.<|im_end|>", "<think>\n\n</think>\n\nMadrid.<|im_end|>"),
                ChatEncoderTest.trainedSegments(tok, example));
        Example asChat = new ChatEncoder(tok).encode(JSON.readTree("{\"messages\": [{\"role\": \"system\", \"content\": "
                + "\"You are terse.\"}, {\"role\": \"user\", \"content\": \"Capital of Italy?\"}, {\"role\": "
                + "\"assistant\", \"content\": \"Rome.\"}, {\"role\": \"user\", \"content\": \"And of Spain?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"Madrid.\"}]}"));
        assertArrayEquals(asChat.tokens(), example.tokens());
        assertArrayEquals(asChat.targets(), example.targets());
    }

    @Test
    void shareGptRolesOutsideSystemHumanGptAreNamed() {
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> new ShareGptEncoder(
                TestTokenizers.llama3()).encode(JSON.readTree("{\"conversations\": [{\"from\": \"human\", \"value\": "
                + "\"hi\"}, {\"from\": \"bot\", \"value\": \"yo\"}]}")));
        assertTrue(e.getMessage().contains("conversations[1]") && e.getMessage().contains("\"bot\""), e.getMessage());
    }

    @Test
    void dollyIsTheAlpacaPromptWithItsContextAsInputAndTrainsTheResponse() throws Exception {
        TextTokenizer tok = TestTokenizers.llama3();
        Example example = AlpacaEncoder.dolly(tok).encode(JSON.readTree(DOLLY));
        String prompt = "Below is an instruction that describes a task, paired with an input that provides further "
                + "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
                + "When was the tower finished?\n\n### Input:\nThe Eiffel Tower was finished in 1889.\n\n"
                + "### Response:\n";
        assertEquals(prompt + "In 1889.<|end_of_text|>", tok.decode(example.tokens()));
        assertEquals(List.of("In 1889.<|end_of_text|>"), ChatEncoderTest.trainedSegments(tok, example));
        Example noContext = AlpacaEncoder.dolly(tok).encode(JSON.readTree(
                "{\"instruction\": \"Name a colour.\", \"context\": \"\", \"response\": \"Blue.\"}"));
        assertTrue(tok.decode(noContext.tokens()).endsWith("### Instruction:\nName a colour.\n\n### Response:\n"
                + "Blue.<|end_of_text|>"));
    }

    @Test
    void autoDetectionKnowsShareGptAndDolly() throws IOException {
        assertEquals(DatasetFormat.SHAREGPT, load(SHAREGPT.replace("\n", ""), DatasetFormat.AUTO).format());
        assertEquals(DatasetFormat.DOLLY, load(DOLLY, DatasetFormat.AUTO).format());
        assertEquals(PromptTemplate.CHAT, load(SHAREGPT.replace("\n", ""), DatasetFormat.AUTO).promptTemplate());
        assertEquals(PromptTemplate.ALPACA, load(DOLLY, DatasetFormat.AUTO).promptTemplate());
    }

    /** ":\n\n" is one token in Llama 3 and in Qwen: an output starting with a newline merges with the prompt's end. */
    @Test
    void alpacaIdsAreThoseOfTheWholeTextEvenWhereTheOutputMergesWithThePrompt() throws Exception {
        for (TextTokenizer tok : List.of(TestTokenizers.llama3(), TestTokenizers.qwen())) {
            String output = "\nFirst line.\nSecond line.";
            Example example = AlpacaEncoder.alpaca(tok).encode(JSON.readTree(JSON.writeValueAsString(Map.of(
                    "instruction", "Write two lines.", "output", output))));
            String prompt = AlpacaEncoder.prompt("Write two lines.", "");
            long[] whole = tok.encode(prompt + output, true);
            long[] expected = Arrays.copyOf(whole, whole.length + 1);
            expected[whole.length] = tok.eosTokenId();
            assertArrayEquals(expected, example.tokens(), "ids of the whole text, then EOS");
            assertTrue(tok.decode(new long[] {example.tokens()[tok.encode(prompt, true).length - 1]}).endsWith(":\n\n"),
                    "the prompt's last token takes the output's first newline");
            assertEquals(List.of("First line.\nSecond line." + tok.decode(new long[] {tok.eosTokenId()})),
                    ChatEncoderTest.trainedSegments(tok, example), "trained: the tokens that start in the output");
        }
    }

    @Test
    void aReplyQuotingTheEndOfTurnTokenIsTrainedToItsRealEndOfTurn() throws Exception {
        String reply = "Llama 3 ends a turn with <|eot_id|> and ChatML with <|im_end|>, then the next header.";
        String record = JSON.writeValueAsString(Map.of("messages", List.of(
                Map.of("role", "user", "content", "How does a chat template end a turn?"),
                Map.of("role", "assistant", "content", reply))));
        TextTokenizer llama = TestTokenizers.llama3();
        assertEquals(List.of(reply + "<|eot_id|>"),
                ChatEncoderTest.trainedSegments(llama, new ChatEncoder(llama).encode(JSON.readTree(record))));
        TextTokenizer qwen = TestTokenizers.qwen();
        assertEquals(List.of("<think>\n\n</think>\n\n" + reply + "<|im_end|>"),
                ChatEncoderTest.trainedSegments(qwen, new ChatEncoder(qwen).encode(JSON.readTree(record))));
    }

    @Test
    void aSeparateValidationFileIsReadInTheTrainingFilesFormatAndItsPromptsKept() throws IOException {
        Path train = Files.writeString(dir.resolve("train.jsonl"), DOLLY + "\n" + DOLLY + "\n");
        Path valid = Files.writeString(dir.resolve("valid.jsonl"), DOLLY.replace("When was", "In which year was")
                + "\n" + "{\"instruction\": \"Say hi.\", \"response\": \"Hi.\"}\n");
        TrainingData data = TrainingData.load(train, valid, new DataOptions(DatasetFormat.AUTO, 0, 512, false),
                TestTokenizers.llama3(), 3);
        assertEquals(2, data.trainExamples());
        assertEquals(2, data.validationExamples());
        assertEquals(List.of(new Prompt.Instruction("In which year was the tower finished?",
                "The Eiffel Tower was finished in 1889."), new Prompt.Instruction("Say hi.", "")),
                data.validationPrompts(3));
        assertEquals(1, data.validationPrompts(1).size());
    }

    private TrainingData load(String line, DatasetFormat format) throws IOException {
        Path file = Files.writeString(dir.resolve("data.jsonl"), line + "\n");
        return TrainingData.load(file, new DataOptions(format, 0, 512, false), TestTokenizers.llama3(), 7);
    }
}
