package io.kubelora.trainer.cli;

import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
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
        requireNewFolder(out);
        BundledTokenizer.copyTo(arch.tokenizer, out);
        ModelInitializer.write(arch.architecture, preset, BundledTokenizer.vocabSize(arch.tokenizer), seed, out);
        System.err.println("Wrote a random " + arch + " model (" + preset.name().toLowerCase() + ") to " + out);
        return 0;
    }

    /** A model folder is never written over: its config.json, weights and tokenizer would be lost. */
    private static void requireNewFolder(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--out " + dir + " is a file: name a new or empty folder");
        }
        if (Files.isDirectory(dir)) {
            try (Stream<Path> children = Files.list(dir)) {
                Optional<Path> first = children.sorted().findFirst();
                if (first.isPresent()) {
                    throw new IllegalArgumentException("--out " + dir + " is not empty (it holds "
                            + first.get().getFileName() + "): init-model writes a whole new model folder and would"
                            + " overwrite its files; name a new or empty folder");
                }
            }
        }
    }
}
