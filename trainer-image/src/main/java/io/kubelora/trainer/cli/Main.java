package io.kubelora.trainer.cli;

import io.kubelora.trainer.bench.LoadBench;
import io.kubelora.trainer.bench.Nf4Bench;
import io.kubelora.trainer.bench.TrainBench;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The kubelora command line: the same program runs locally and in the training pod. */
@Command(name = "kubelora", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "LoRA and QLoRA fine-tuning of Llama, Mistral and Qwen2 models.",
        subcommands = {TrainCommand.class, ValidateCommand.class, PlanCommand.class, InitModelCommand.class,
                GenerateCommand.class, TrainBench.class, DoctorCommand.class, MergeCommand.class, Nf4Bench.class,
                LoadBench.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code; errors are reported as one clear message. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Runs a command line whose commands print to {@code out} and {@code err}; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine().setOut(out).setErr(err).execute(args);
    }

    private static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }
}
