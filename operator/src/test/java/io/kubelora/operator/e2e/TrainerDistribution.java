package io.kubelora.operator.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The trainer as the reactor built it (trainer-image/target/kubelora-trainer.jar + lib/), started as a child
 * JVM the way the image's /opt/kubelora/bin/trainer starts it. The folder can be moved with the system
 * property {@code kubelora.e2e.trainer-dir}.
 */
final class TrainerDistribution {

    static final String MAIN_CLASS = "io.kubelora.trainer.cli.Main";
    private static final String DIR_PROPERTY = "kubelora.e2e.trainer-dir";

    private final Path jar;
    private final Path lib;

    private TrainerDistribution(Path jar, Path lib) {
        this.jar = jar;
        this.lib = lib;
    }

    /** The built trainer; fails with what to build when it is missing. */
    static TrainerDistribution locate() {
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, "../trainer-image/target")).toAbsolutePath().normalize();
        Path jar = dir.resolve("kubelora-trainer.jar");
        Path lib = dir.resolve("lib");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
            throw new IllegalStateException("the end-to-end test runs the real trainer, but " + jar + " or " + lib
                    + " is missing: build it first (mvn -pl trainer-image -am package -DskipTests), or point -D"
                    + DIR_PROPERTY + " at a folder holding kubelora-trainer.jar and lib/");
        }
        return new TrainerDistribution(jar, lib);
    }

    /** A process running the trainer's main class with these arguments; the caller adds environment and I/O. */
    ProcessBuilder command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // As in the image: DJL may not download engines, AWT (the loss plot) needs no display.
        command.add("-Dai.djl.offline=true");
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(jar + File.pathSeparator + lib.resolve("*"));
        command.add(MAIN_CLASS);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        // Idle OpenMP workers spin by default and would starve the operator on a small machine.
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return builder;
    }

    /** Writes a tiny random Llama (config, safetensors, tokenizer) with the trainer's own init-model command. */
    void initModel(Path out, Path log) throws IOException, InterruptedException {
        Process process = command(List.of("init-model", "--arch", "llama", "--preset", "tiny", "--out",
                out.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("init-model did not finish in 120 s; its output: " + log);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("init-model exited with " + process.exitValue() + ":\n"
                    + Files.readString(log));
        }
    }
}
