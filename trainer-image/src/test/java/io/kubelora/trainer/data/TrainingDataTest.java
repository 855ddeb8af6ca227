package io.kubelora.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingDataTest {

    private static final long EOS = 128001;

    @TempDir
    Path dir;

    private Path jsonl(String... lines) throws IOException {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private static DataOptions spec(DatasetFormat format, double split, int maxSeqLength, boolean packing) {
        return new DataOptions(format, split, maxSeqLength, packing);
    }

    private static TrainingData load(Path file, DataOptions spec) {
        return TrainingData.load(file, spec, TestTokenizers.llama3(), 7);
    }

    @Test
    void alpacaTrainsOnTheOutputAndEosOnly() throws IOException {
        TextTokenizer tok = TestTokenizers.llama3();
        Path file = jsonl("{\"instruction\": \"Add the numbers.\", \"input\": \"2 and 3\", \"output\": \"5\"}");
        Example e = only(load(file, spec(DatasetFormat.ALPACA, 0, 2048, false)).train().batch(0, 0, 1));
        String prompt = "Below is an instruction that describes a task, paired with an input that provides further "
                + "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
                + "Add the numbers.\n\n### Input:\n2 and 3\n\n### Response:\n";
        assertEquals(prompt + "5<|end_of_text|>", tok.decode(e.tokens()));
        assertEquals(List.of("5<|end_of_text|>"), ChatEncoderTest.trainedSegments(tok, e));
        assertEquals(tok.encode(prompt, true).length - 1, firstTarget(e), "first target follows the prompt");
    }

    @Test
    void alpacaWithoutInputUsesTheShortPrompt() throws IOException {
        TextTokenizer tok = TestTokenizers.llama3();
        Example e = only(load(jsonl("{\"instruction\": \"Say hi.\", \"output\": \"Hi!\"}"),
                spec(DatasetFormat.AUTO, 0, 2048, false)).train().batch(0, 0, 1));
        assertTrue(tok.decode(e.tokens()).startsWith("Below is an instruction that describes a task. Write a response"));
        assertTrue(tok.decode(e.tokens()).endsWith("### Instruction:\nSay hi.\n\n### Response:\nHi!<|end_of_text|>"));
    }

    @Test
    void textTrainsOnEveryTokenAndEndsWithEos() throws IOException {
        TextTokenizer tok = TestTokenizers.llama3();
        TrainingData data = load(jsonl("{\"text\": \"The quick brown fox.\"}"), spec(DatasetFormat.TEXT, 0, 2048, false));
        Example e = only(data.train().batch(0, 0, 1));
        long[] expected = Arrays.copyOf(tok.encode("The quick brown fox.", true), e.length());
        expected[e.length() - 1] = EOS;
        assertArrayEquals(expected, e.tokens());
        assertEquals(e.length() - 1, e.trainableTokens(), "every position but the last predicts a token");
        assertEquals(e.length(), data.tokens());
    }

    @Test
    void autoDetectsTheFormatFromTheFirstRecord() throws IOException {
        assertEquals(DatasetFormat.TEXT, load(jsonl("{\"text\": \"a\"}"), spec(DatasetFormat.AUTO, 0, 64, false)).format());
        assertEquals(DatasetFormat.ALPACA, load(jsonl("{\"instruction\": \"a\", \"output\": \"b\"}"),
                spec(DatasetFormat.AUTO, 0, 64, false)).format());
        assertEquals(DatasetFormat.CHAT, load(jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                + "{\"role\": \"assistant\", \"content\": \"b\"}]}"), spec(DatasetFormat.AUTO, 0, 64, false)).format());
        DatasetException e = assertThrows(DatasetException.class, () -> load(jsonl("{\"prompt\": \"a\"}"),
                spec(DatasetFormat.AUTO, 0, 64, false)));
        assertTrue(e.getMessage().startsWith("data.jsonl:1: ") && e.getMessage().contains("[prompt]"), e.getMessage());
    }

    @Test
    void longExamplesAreTruncatedAndExamplesWithoutTargetsSkipped() throws IOException {
        String longPrompt = "word ".repeat(40);
        Path file = jsonl(
                "{\"instruction\": \"Say ok.\", \"output\": \"" + "ok ".repeat(60) + "\"}",
                "{\"instruction\": \"" + longPrompt + "\", \"output\": \"lost\"}",
                "{\"instruction\": \"Say yes.\", \"output\": \"yes\"}");
        TrainingData data = load(file, spec(DatasetFormat.ALPACA, 0, 32, false));
        assertEquals(2, data.trainExamples());
        assertEquals(1, data.skippedExamples(), "the long prompt leaves no output token within 32");
        assertEquals(2, data.truncatedExamples());
        Batch batch = data.train().batch(0, 0, 2);
        assertEquals(32, batch.seqLen(), "the longest row is cut to maxSeqLength");
        Example truncated = rowOfLength(data, 32);
        assertEquals(Batch.IGNORE, truncated.targets()[31], "the cut-off token is no target");
        assertTrue(truncated.trainableTokens() > 0);
    }

    @Test
    void allSkippedIsAnError() throws IOException {
        DatasetException e = assertThrows(DatasetException.class, () -> load(
                jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"no answer\"}]}"),
                spec(DatasetFormat.CHAT, 0, 64, false)));
        assertTrue(e.getMessage().contains("no usable example"), e.getMessage());
    }

    @Test
    void malformedLinesAreReportedWithFileAndLine() throws IOException {
        String ok = "{\"text\": \"fine\"}";
        assertMessage(jsonl(ok, "", ok, "{\"text\": \"broken"), DatasetFormat.TEXT, "data.jsonl:4: invalid JSON");
        assertMessage(jsonl(ok, "[1, 2]"), DatasetFormat.TEXT, "data.jsonl:2: expected a JSON object, found an array");
        assertMessage(jsonl("[", "  {\"text\": \"a\"}", "]"), DatasetFormat.TEXT, "data.jsonl:1: a JSON array: the dataset must be JSONL");
        assertMessage(jsonl(ok, "{\"text\": \"a\"} {\"text\": \"b\"}"), DatasetFormat.TEXT, "data.jsonl:2: invalid JSON");
        assertMessage(jsonl(ok, "{\"body\": \"x\"}"), DatasetFormat.TEXT, "data.jsonl:2: text record has no \"text\"");
        assertMessage(jsonl("{\"instruction\": \"a\", \"output\": 5}"), DatasetFormat.ALPACA,
                "data.jsonl:1: alpaca record \"output\" must be a string, not a number");
        String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                + "{\"role\": \"assistant\", \"content\": \"b\"}]}";
        assertMessage(jsonl(chat, chat, "{\"messages\": [{\"role\": \"narrator\", \"content\": \"x\"}]}"), DatasetFormat.CHAT,
                "data.jsonl:3: chat record messages[0] has the unknown role \"narrator\"");
    }

    @Test
    void aChatTemplateThatCannotBeParsedIsReportedAgainstTheFirstRecord() throws IOException {
        Path model = TestTokenizers.modelDir("qwen");
        Path config = model.resolve("tokenizer_config.json");
        Files.writeString(config, Files.readString(config).replace("{%- if tools %}", "{%- if tools %}{% for %}"));
        try (TextTokenizer tok = TextTokenizer.load(model)) {
            DatasetException e = assertThrows(DatasetException.class, () -> TrainingData.load(
                    jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}"),
                    spec(DatasetFormat.CHAT, 0, 64, false), tok, 1));
            assertTrue(e.getMessage().startsWith("data.jsonl:1: chat template failed"), e.getMessage());
        }
    }

    private void assertMessage(Path file, DatasetFormat format, String expectedStart) {
        DatasetException e = assertThrows(DatasetException.class, () -> load(file, spec(format, 0, 64, false)));
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
    }

    @Test
    void validationSplitDependsOnTheSeedOnly() throws IOException {
        Path file = numberedTexts(40);
        TrainingData a = TrainingData.load(file, spec(DatasetFormat.TEXT, 0.25, 64, false), TestTokenizers.llama3(), 11);
        TrainingData b = TrainingData.load(file, spec(DatasetFormat.TEXT, 0.25, 64, false), TestTokenizers.llama3(), 11);
        TrainingData c = TrainingData.load(file, spec(DatasetFormat.TEXT, 0.25, 64, false), TestTokenizers.llama3(), 12);
        assertEquals(10, a.validationExamples());
        assertEquals(30, a.trainExamples());
        assertTrue(a.hasValidation());
        assertEquals(texts(a.validation()), texts(b.validation()));
        assertNotEquals(texts(a.validation()), texts(c.validation()));
        List<String> all = new ArrayList<>(texts(a.validation()));
        all.addAll(texts(a.train()));
        assertEquals(40, all.stream().distinct().count(), "train and validation are disjoint and complete");
        List<String> validation = texts(a.validation());
        assertEquals(validation.stream().sorted().toList(), validation,
                "validation keeps the file's order (the texts are numbered a, b, c...)");
        assertEquals(validation, texts(a.validation(), 3), "and every epoch asks for the same order");
        assertFalse(load(file, spec(DatasetFormat.TEXT, 0, 64, false)).hasValidation());
    }

    @Test
    void trainingBatchesAreShuffledPerEpochDeterministically() throws IOException {
        Path file = numberedTexts(12);
        TrainingData a = TrainingData.load(file, spec(DatasetFormat.TEXT, 0, 64, false), TestTokenizers.llama3(), 5);
        TrainingData b = TrainingData.load(file, spec(DatasetFormat.TEXT, 0, 64, false), TestTokenizers.llama3(), 5);
        TrainingData otherSeed = TrainingData.load(file, spec(DatasetFormat.TEXT, 0, 64, false), TestTokenizers.llama3(), 6);
        assertEquals(3, a.train().batchesPerEpoch(5), "12 rows in batches of 5: 5, 5, 2");
        assertEquals(2, a.train().batch(0, 2, 5).batchSize());
        assertEquals(epochOrder(a, 1), epochOrder(b, 1), "same seed and epoch, same order");
        List<String> third = epochOrder(a, 3);
        assertNotEquals(third, epochOrder(a, 0));
        assertEquals(third, epochOrder(a, 3), "random access repeats after another epoch was read");
        assertEquals(third, epochOrder(TrainingData.load(file, spec(DatasetFormat.TEXT, 0, 64, false),
                TestTokenizers.llama3(), 5), 3), "a fresh load whose first read is epoch 3 agrees");
        assertNotEquals(epochOrder(a, 0), epochOrder(a, 1), "each epoch reshuffles");
        assertNotEquals(epochOrder(a, 0), epochOrder(otherSeed, 0));
        assertEquals(12, epochOrder(a, 2).stream().distinct().count(), "an epoch visits every row once");
        assertArrayEquals(a.train().batch(4, 1, 5).inputIds(), b.train().batch(4, 1, 5).inputIds(),
                "resuming at (epoch 4, batch 1) gives the same batch");
    }

    @Test
    void packingFillsRowsOfExactlyMaxSeqLength() throws IOException {
        Path file = numberedTexts(10);
        TrainingData unpacked = load(file, spec(DatasetFormat.TEXT, 0, 16, false));
        TrainingData packed = load(file, spec(DatasetFormat.TEXT, 0, 16, true));
        // Text examples end with EOS already, so no separator is added between them.
        assertEquals((unpacked.tokens() + 15) / 16, packed.train().size(), "rows hold the examples back to back");
        long targets = 0;
        for (int i = 0; i < packed.train().batchesPerEpoch(1); i++) {
            Batch row = packed.train().batch(0, i, 1);
            assertEquals(16, row.seqLen());
            targets += row.targetTokens();
        }
        assertEquals(unpacked.trainableTokens(), targets, "packing keeps every target");
        assertTrue(packed.describe().contains("packed into"), packed.describe());
    }

    private Path numberedTexts(int n) throws IOException {
        String[] lines = new String[n];
        for (int i = 0; i < n; i++) {
            lines[i] = "{\"text\": \"Example number " + (char) ('a' + i) + ".\"}";
        }
        return jsonl(lines);
    }

    private static List<String> texts(Batches batches) {
        return texts(batches, 0);
    }

    private static List<String> texts(Batches batches, int epoch) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < batches.batchesPerEpoch(1); i++) {
            out.add(TestTokenizers.llama3().decode(only(batches.batch(epoch, i, 1)).tokens()));
        }
        return out;
    }

    private static List<String> epochOrder(TrainingData data, int epoch) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < data.train().batchesPerEpoch(1); i++) {
            out.add(TestTokenizers.llama3().decode(only(data.train().batch(epoch, i, 1)).tokens()));
        }
        return out;
    }

    private static Example rowOfLength(TrainingData data, int length) {
        for (int i = 0; i < data.train().batchesPerEpoch(1); i++) {
            Example e = only(data.train().batch(0, i, 1));
            if (e.length() == length) {
                return e;
            }
        }
        throw new AssertionError("no row of length " + length);
    }

    /** The single row of a one-row batch. */
    static Example only(Batch batch) {
        assertEquals(1, batch.batchSize());
        return new Example(batch.inputIds(), batch.targets());
    }

    private static int firstTarget(Example e) {
        for (int t = 0; t < e.length(); t++) {
            if (e.targets()[t] != Batch.IGNORE) {
                return t;
            }
        }
        return -1;
    }
}
