package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code {"instruction", "input"?, "output"}} with the classic Stanford Alpaca prompt; loss on the
 * output and the EOS after it. Databricks Dolly records, {@code {"instruction", "context"?, "response"}}, are the
 * same thing under other names and are written the same way ({@link #dolly}).
 *
 * <p>The Alpaca prompt is used for every model, chat template or not: it is what "alpaca format"
 * means to the trainers that popularised it, it works for base models that have no template, and the
 * same dataset then trains the same text on any model. Data meant for a model's own chat template
 * belongs in the chat format (one user and one assistant message), which renders through it.
 *
 * <p>Prompt and output are tokenised together, as one text, and the tokens that start inside the output are
 * trained (character offsets, as for chat): the ids are those of the whole text, so merges across the boundary
 * (an output that starts with a newline after the prompt's {@code :\n}) come out as the tokenizer makes them.
 */
final class AlpacaEncoder implements RecordEncoder {

    static final String PROMPT_WITH_INPUT = "Below is an instruction that describes a task, paired with an input "
            + "that provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:\n";
    static final String PROMPT_NO_INPUT = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Response:\n";

    private final TextTokenizer tokenizer;
    private final String inputField;
    private final String outputField;

    private AlpacaEncoder(TextTokenizer tokenizer, String inputField, String outputField) {
        this.tokenizer = tokenizer;
        this.inputField = inputField;
        this.outputField = outputField;
    }

    /** instruction, input, output. */
    static AlpacaEncoder alpaca(TextTokenizer tokenizer) {
        return new AlpacaEncoder(tokenizer, "input", "output");
    }

    /** instruction, context, response (the Databricks Dolly 15k file as published; its category is ignored). */
    static AlpacaEncoder dolly(TextTokenizer tokenizer) {
        return new AlpacaEncoder(tokenizer, "context", "response");
    }

    static String prompt(String instruction, String input) {
        return input.isEmpty() ? PROMPT_NO_INPUT.formatted(instruction)
                : PROMPT_WITH_INPUT.formatted(instruction, input);
    }

    @Override
    public Example encode(JsonNode record) {
        Prompt.Instruction instruction = instruction(record);
        String prompt = prompt(instruction.instruction(), instruction.input());
        String output = InvalidRecordException.requiredString(record, outputField, "");
        TextTokenizer.TokenSpans encoded = tokenizer.encodeWithOffsets(prompt + output, true);
        long[] ids = encoded.ids();
        long[] tokens = new long[ids.length + 1];
        boolean[] trainable = new boolean[tokens.length];
        System.arraycopy(ids, 0, tokens, 0, ids.length);
        for (int t = 0; t < ids.length; t++) {
            trainable[t] = encoded.starts()[t] >= prompt.length();
        }
        tokens[ids.length] = tokenizer.eosTokenId();
        trainable[ids.length] = true;
        return Example.of(tokens, trainable);
    }

    @Override
    public Prompt prompt(JsonNode record) {
        return instruction(record);
    }

    private Prompt.Instruction instruction(JsonNode record) {
        return new Prompt.Instruction(InvalidRecordException.requiredString(record, "instruction", ""),
                InvalidRecordException.optionalString(record, inputField, ""));
    }
}
