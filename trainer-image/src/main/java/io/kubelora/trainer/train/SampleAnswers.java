package io.kubelora.trainer.train;

import io.kubelora.trainer.data.Prompt;
import io.kubelora.trainer.data.PromptTemplate;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.generate.Generator;
import io.kubelora.trainer.model.CausalLm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation prompts of a run, answered greedily by the model as it is at a given step. The answers of each step
 * are kept, so the delivered adapter's are not generated twice when it is an evaluated step (the best one).
 */
final class SampleAnswers {

    private final Generator generator;
    private final List<Prompt> prompts;
    private final int maxNewTokens;
    private final Map<Integer, List<Sample>> answered = new HashMap<>();

    private SampleAnswers(Generator generator, List<Prompt> prompts, int maxNewTokens) {
        this.generator = generator;
        this.prompts = List.copyOf(prompts);
        this.maxNewTokens = maxNewTokens;
    }

    /**
     * The model's answers to {@code prompts}, written with {@code template}; each prompt is written once now, so
     * one the template cannot write fails before training, naming its index.
     *
     * @param what how the prompts are named in errors, e.g. spec.evaluation.prompts
     */
    static SampleAnswers of(CausalLm model, TextTokenizer tokenizer, PromptTemplate template, List<Prompt> prompts,
                            int maxNewTokens, String what) {
        for (int i = 0; i < prompts.size(); i++) {
            try {
                template.format(prompts.get(i), tokenizer);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new SampleAnswers(new Generator(model, tokenizer, template), prompts, maxNewTokens);
    }

    boolean isEmpty() {
        return prompts.isEmpty();
    }

    /** Every prompt's greedy answer by the model as it is now, recorded as of {@code step}. */
    List<Sample> answer(int step) {
        List<Sample> samples = new ArrayList<>();
        for (Prompt prompt : prompts) {
            Generator.Completion c = generator.greedy(prompt, maxNewTokens);
            samples.add(new Sample(step, c.prompt(), c.completion(), prompt.question()));
        }
        answered.put(step, List.copyOf(samples));
        return samples;
    }

    /** The answers already given at {@code step}, or null. */
    List<Sample> answeredAt(int step) {
        return answered.get(step);
    }
}
