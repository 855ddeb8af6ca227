package io.kubelora.trainer.cli;

import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** kubelora init-model: a randomly initialised model folder of a real architecture with a real tokenizer. */
@Command(name = "init-model", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised Hugging Face model folder (config.json, safetensors, "
                + "tokenizer) for quick starts, tests and benchmarks.")
final class InitModelCommand implements Callable<Integer> {

    enum Arch {
        llama(Architecture.LLAMA, "llama3"), mistral(Architecture.MISTRAL, "mistral"),
        qwen2(Architecture.QWEN2, "qwen");

        final Architecture architecture;
        final String tokenizer;

        Arch(Architecture architecture, String tokenizer) {
            this.architecture = architecture;
            this.tokenizer = tokenizer;
        }
    }

    @Option(names = "--arch", required = true, description = "Architecture: ${COMPLETION-CANDIDATES}.")
    Arch arch;

    @Option(names = "--preset", defaultValue = "tiny", description = "Size: ${COMPLETION-CANDIDATES} "
            + "(default ${DEFAULT-VALUE}).")
    Preset preset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Initialisation seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        BundledTokenizer.copyTo(arch.tokenizer, out);
        ModelInitializer.write(arch.architecture, preset, BundledTokenizer.vocabSize(arch.tokenizer), seed, out);
        System.err.println("Wrote a random " + arch + " model (" + preset.name().toLowerCase() + ") to " + out);
        return 0;
    }
}
