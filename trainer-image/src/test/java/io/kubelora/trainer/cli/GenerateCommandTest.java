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
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What generate says when the model's answer is empty. */
class GenerateCommandTest {

    private static final String PROMPT = "The weather today is";

    /** The model's first greedy choice is made its eos_token_id, so it ends its answer at once. */
    @Test
    void anAnswerThatEndsAtOnceIsSaidToBeEmpty(@TempDir Path dir) throws Exception {
        BundledTokenizer.copyTo("llama3", dir);
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, BundledTokenizer.vocabSize("llama3"), 3, dir);
        long first;
        try (TextTokenizer tokenizer = TextTokenizer.load(dir);
             CausalLm model = CausalLm.load(dir, ModelOptions.on(Device.cpu()))) {
            float[] logits = model.logits(tokenizer.encode(PROMPT, true), true)[0];
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                best = logits[i] > logits[best] ? i : best;
            }
            first = best;
        }
        ModelConfig.read(dir).toBuilder().eosTokenIds(List.of(first)).build().write(dir);

        CommandRun run = CommandRun.of("generate", "--model", dir.toString(), "--prompt", PROMPT);
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(PROMPT, run.line(), "the prompt, then nothing");
        assertTrue(run.err().contains("(the model ended its answer at once: the completion is empty)"), run.err());
    }
}
