package io.kubelora.trainer.generate;

import io.kubelora.trainer.data.Prompt;
import io.kubelora.trainer.data.PromptTemplate;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.model.CausalLm;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Answers prompts with a model: the prompt written by a {@link PromptTemplate} as in training, then one token at a
 * time, greedily (the most likely token; temperature 0) or sampled, until a stop token (the tokenizer's EOS, the
 * model's eos_token_id, or the chat template's end of turn) or the token limit. The one generation of the project:
 * samples while training and {@code kubelora generate} both use it, so their answers to the same prompt are the same.
 */
public final class Generator {

    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final PromptTemplate template;
    private final Set<Long> stopIds;

    public Generator(CausalLm model, TextTokenizer tokenizer, PromptTemplate template) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        Set<Long> stop = new HashSet<>(template.stopIds(tokenizer));
        stop.addAll(model.config().eosTokenIds());
        this.stopIds = Set.copyOf(stop);
    }

    /**
     * A prompt's answer.
     *
     * @param prompt     the prompt as the template wrote it
     * @param completion the generated text, stop token left out (empty when the model stopped at once)
     * @param tokens     generated tokens, stop token left out
     * @param stopped    whether a stop token ended it (else the token limit did)
     */
    public record Completion(String prompt, String completion, int tokens, boolean stopped) {
    }

    /** Greedy answer to {@code prompt}, at most {@code maxNewTokens} tokens. */
    public Completion greedy(Prompt prompt, int maxNewTokens) {
        return complete(prompt, maxNewTokens, 0, 0);
    }

    /**
     * Answer to {@code prompt}, at most {@code maxNewTokens} tokens: greedy at temperature 0, else sampled from
     * softmax(logits / temperature) with a generator seeded by {@code seed}.
     */
    public Completion complete(Prompt prompt, int maxNewTokens, double temperature, long seed) {
        if (maxNewTokens < 1 || temperature < 0) {
            throw new IllegalArgumentException("generation needs at least 1 new token and a temperature >= 0");
        }
        PromptTemplate.Formatted formatted = template.format(prompt, tokenizer);
        long[] promptIds = formatted.ids();
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty after tokenization");
        }
        long[] ids = Arrays.copyOf(promptIds, promptIds.length + maxNewTokens);
        int length = promptIds.length;
        Random random = new Random(seed);
        boolean stopped = false;
        while (length < ids.length) {
            // A full forward per token: generation here shows what a small model learnt, it does not serve.
            float[] logits = model.logits(Arrays.copyOf(ids, length), true)[0];
            long next = temperature == 0 ? argMax(logits) : sample(logits, temperature, random);
            if (stopIds.contains(next)) {
                stopped = true;
                break;
            }
            ids[length++] = next;
        }
        long[] generated = Arrays.copyOfRange(ids, promptIds.length, length);
        return new Completion(formatted.text(), tokenizer.decode(generated), generated.length, stopped);
    }

    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int sample(float[] logits, double temperature, Random random) {
        int best = argMax(logits);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - logits[best]) / temperature);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return best;
    }
}
