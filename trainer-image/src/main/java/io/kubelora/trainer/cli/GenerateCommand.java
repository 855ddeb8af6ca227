package io.kubelora.trainer.cli;

import io.kubelora.trainer.data.Prompt;
import io.kubelora.trainer.data.PromptTemplate;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.generate.Generator;
import io.kubelora.trainer.lora.AdapterNotes;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * kubelora generate: text from a base model, with or without an adapter, to see what a fine-tune changed. The prompt
 * is written the way the adapter was trained (recorded with it), so a comparison with the base model asked the same
 * way is fair.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a model folder, optionally with a LoRA adapter.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter folder to apply.")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "The question or text.")
    String prompt;

    @Option(names = "--template", paramLabel = "alpaca|chat|none",
            description = "How the prompt is written: alpaca (the Alpaca prompt), chat (the model's chat template) or "
                    + "none (as it is). Default: what the adapter was trained with, none without an adapter.")
    String template;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); higher = more random.")
    double temperature;

    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N",
            description = "Where to compute (default cpu; on a GPU products run in bf16). A GPU that libtorch cannot "
                    + "use is an error.")
    String device;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1 || temperature < 0) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1 and --temperature >= 0");
        }
        // picocli's writers (System.out and System.err unless the caller set others): the text on out, the rest on err
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PromptTemplate template = chooseTemplate(err);
        ComputeDevice chosen = ComputeDevice.choose(DeviceRequest.option(device, "cpu",
                "pass --device cpu to generate on the CPU"));
        ModelOptions options = ModelOptions.on(chosen.device()).withBf16Compute(chosen.device().isGpu()).withSeed(seed);
        err.println(chosen.logLine(options.bf16Compute() ? "bf16 (the GPU default)" : "fp32"));
        try (TextTokenizer tokenizer = TextTokenizer.load(model); CausalLm lm = CausalLm.load(model, options)) {
            if (adapter != null) {
                LoraAdapters.load(lm, adapter);
            }
            Generator.Completion c = new Generator(lm, tokenizer, template)
                    .complete(new Prompt.Text(prompt), maxNewTokens, temperature, seed);
            out.println(c.prompt() + c.completion());
            out.flush();
            if (c.tokens() == 0) {
                err.println("(the model ended its answer at once: the completion is empty)");
            } else if (!c.stopped()) {
                err.println("(stopped at --max-new-tokens " + maxNewTokens + ")");
            }
            err.flush();
        }
        return 0;
    }

    /** --template, else the adapter's recorded template, else none; said on stderr so comparisons stay honest. */
    private PromptTemplate chooseTemplate(PrintWriter err) {
        Optional<AdapterNotes> notes = adapter == null ? Optional.empty() : AdapterNotes.read(adapter);
        if (template != null) {
            PromptTemplate given = PromptTemplate.ofLabel(template);
            if (notes.isPresent() && notes.get().template() != given) {
                err.println("Note: the adapter was trained with the " + notes.get().promptTemplate()
                        + " template; writing the prompt with " + given.label() + " as asked");
            }
            return given;
        }
        if (notes.isPresent()) {
            err.println("Prompt template: " + notes.get().promptTemplate() + " (as the adapter was trained)");
            return notes.get().template();
        }
        if (adapter != null) {
            err.println("Prompt template: none (" + adapter + " does not say how it was trained: pass --template "
                    + "alpaca|chat to write the prompt as its training data was)");
        }
        return PromptTemplate.NONE;
    }
}
