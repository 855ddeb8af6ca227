package io.kubelora.trainer.cli;

import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** kubelora generate: text from a base model, with or without an adapter, to see what a fine-tune changed. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a model folder, optionally with a LoRA adapter.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter folder to apply.")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "Text to continue.")
    String prompt;

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

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1 || temperature < 0) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1 and --temperature >= 0");
        }
        ComputeDevice chosen = ComputeDevice.choose(DeviceRequest.option(device, "cpu",
                "pass --device cpu to generate on the CPU"));
        ModelOptions options = ModelOptions.on(chosen.device()).withBf16Compute(chosen.device().isGpu()).withSeed(seed);
        System.err.println(chosen.logLine(options.bf16Compute() ? "bf16 (the GPU default)" : "fp32"));
        try (TextTokenizer tokenizer = TextTokenizer.load(model); CausalLm lm = CausalLm.load(model, options)) {
            if (adapter != null) {
                LoraAdapters.load(lm, adapter);
            }
            long[] promptIds = tokenizer.encode(prompt, true);
            long[] ids = Arrays.copyOf(promptIds, promptIds.length + maxNewTokens);
            int length = promptIds.length;
            Random random = new Random(seed);
            while (length < ids.length) {
                // Full forward per token: generation here is for inspecting small models, not serving.
                float[][] logits = lm.logits(Arrays.copyOf(ids, length), true);
                long next = pick(logits[logits.length - 1], random);
                ids[length++] = next;
                if (next == tokenizer.eosTokenId()) {
                    length--;
                    break;
                }
            }
            System.out.println(prompt + tokenizer.decode(Arrays.copyOfRange(ids, promptIds.length, length)));
        }
        return 0;
    }

    private long pick(float[] logits, Random random) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (temperature == 0) {
            return best;
        }
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
