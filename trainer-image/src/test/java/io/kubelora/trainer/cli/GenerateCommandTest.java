package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * generate at temperature 0 on a fixed tiny model (a random Llama of seed 11 with the Llama 3 tokenizer): its
 * exact output, and each new token the argmax of the logits after its prefix, checked with one forward over the
 * whole sequence instead of the command's token-by-token loop; and what it says when the answer is empty.
 */
class GenerateCommandTest {

    private static final String PROMPT = "The colour of the ball is";
    private static final String EMPTY_PROMPT = "The weather today is";
    private static final int NEW_TOKENS = 6;

    @TempDir
    Path dir;

    @Test
    void greedyOutputIsTheArgmaxContinuation() throws Exception {
        BundledTokenizer.copyTo("llama3", dir);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), 11, dir);
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new GenerateCommand()).setOut(new PrintWriter(out)).execute("--model",
                dir.toString(), "--prompt", PROMPT, "--max-new-tokens", String.valueOf(NEW_TOKENS));
        assertEquals(0, exit, out.toString());
        String printed = out.toString().strip();
        assertEquals(PROMPT + " subscriptions.zero üniversitλικ पर frees", printed, "this model's greedy output");

        try (TextTokenizer tokenizer = TextTokenizer.load(dir);
             CausalLm lm = CausalLm.load(dir, ModelOptions.on(Device.cpu()))) {
            long[] prompt = tokenizer.encode(PROMPT, true);
            long[] generated = tokenizer.encode(printed.substring(PROMPT.length()), false);
            assertEquals(NEW_TOKENS, generated.length, "tokens of the continuation " + printed);
            long[] all = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, all, prompt.length, generated.length);
            // one forward over the whole sequence: each new token is the argmax after its prefix
            float[][] logits = lm.logits(all);
            for (int p = prompt.length; p < all.length; p++) {
                float[] row = logits[p - 1];
                int best = 0;
                for (int v = 1; v < row.length; v++) {
                    best = row[v] > row[best] ? v : best;
                }
                assertEquals(best, all[p], "token " + (p - prompt.length + 1) + " of the continuation");
                for (int v = 0; v < row.length; v++) {
                    assertTrue(v == best || row[best] - row[v] > 1e-4f, "no near tie, so the output is stable");
                }
            }
        }
    }

    /** The model's first greedy choice is made its eos_token_id, so it ends its answer at once. */
    @Test
    void anAnswerThatEndsAtOnceIsSaidToBeEmpty() throws Exception {
        BundledTokenizer.copyTo("llama3", dir);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), 3, dir);
        long first;
        try (TextTokenizer tokenizer = TextTokenizer.load(dir);
             CausalLm model = CausalLm.load(dir, ModelOptions.on(Device.cpu()))) {
            float[] logits = model.logits(tokenizer.encode(EMPTY_PROMPT, true), true)[0];
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                best = logits[i] > logits[best] ? i : best;
            }
            first = best;
        }
        ModelConfig.read(dir).toBuilder().eosTokenIds(List.of(first)).build().write(dir);

        CommandRun run = CommandRun.of("generate", "--model", dir.toString(), "--prompt", EMPTY_PROMPT);
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(EMPTY_PROMPT, run.line(), "the prompt, then nothing");
        assertTrue(run.err().contains("(the model ended its answer at once: the completion is empty)"), run.err());
    }
}
