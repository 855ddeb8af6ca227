package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * {@code {"instruction", "input"?, "output"}} with the classic Stanford Alpaca prompt; loss on the
 * output and the EOS after it.
 *
 * <p>The Alpaca prompt is used for every model, chat template or not: it is what "alpaca format"
 * means to the trainers that popularised it, it works for base models that have no template, and the
 * same dataset then trains the same text on any model. Data meant for a model's own chat template
 * belongs in the chat format (one user and one assistant message), which renders through it.
 *
 * <p>Prompt and output are tokenised separately and joined, so the boundary between masked and
 * trained tokens is exact (the prompt ends with a newline, where byte-level tokenisers split anyway).
 */
final class AlpacaEncoder implements RecordEncoder {

    static final String PROMPT_WITH_INPUT = "Below is an instruction that describes a task, paired with an input "
            + "that provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:\n";
    static final String PROMPT_NO_INPUT = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Response:\n";

    private final TextTokenizer tokenizer;

    AlpacaEncoder(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static String prompt(String instruction, String input) {
        return input.isEmpty() ? PROMPT_NO_INPUT.formatted(instruction)
                : PROMPT_WITH_INPUT.formatted(instruction, input);
    }

    @Override
    public Example encode(JsonNode record) {
        String instruction = InvalidRecordException.requiredString(record, "instruction", "");
        String input = InvalidRecordException.optionalString(record, "input", "");
        String output = InvalidRecordException.requiredString(record, "output", "");
        long[] prompt = tokenizer.encode(prompt(instruction, input), true);
        long[] completion = tokenizer.encode(output, false);
        long[] tokens = new long[prompt.length + completion.length + 1];
        boolean[] trainable = new boolean[tokens.length];
        System.arraycopy(prompt, 0, tokens, 0, prompt.length);
        System.arraycopy(completion, 0, tokens, prompt.length, completion.length);
        tokens[tokens.length - 1] = tokenizer.eosTokenId();
        Arrays.fill(trainable, prompt.length, tokens.length, true);
        return Example.of(tokens, trainable);
    }
}
