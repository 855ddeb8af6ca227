package io.kubelora.trainer.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Python and shell scripts under bench/ (the peft side of the benchmark, the reference fixture maker): they
 * parse, and their standard-library unit tests pass. Needs python3 on the PATH (skipped with a message if absent);
 * torch, transformers and peft are not needed.
 */
class BenchScriptsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final boolean PYTHON = found("python3", "--version");
    private static final String NO_PYTHON = "python3 is not on the PATH: the bench script tests need it";

    @ParameterizedTest
    @ValueSource(strings = {"bench/peft", "bench/reference"})
    void unitTestsPass(String folder) throws Exception {
        assumeTrue(PYTHON, NO_PYTHON);
        run(List.of("python3", "-m", "unittest", "discover", "-s", folder, "-p", "test_*.py"));
    }

    @Test
    void everyScriptParses() throws Exception {
        assumeTrue(PYTHON, NO_PYTHON);
        List<String> python = new ArrayList<>(List.of("python3", "-c",
                "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding='utf-8').read(), f, 'exec')"));
        List<Path> shell = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("bench"))) {
            files.filter(Files::isRegularFile).forEach(f -> {
                if (f.toString().endsWith(".py")) {
                    python.add(f.toString());
                } else if (f.toString().endsWith(".sh")) {
                    shell.add(f);
                }
            });
        }
        run(python);
        assumeTrue(found("bash", "--version"), "bash is not on the PATH");
        for (Path script : shell) {
            run(List.of("bash", "-n", script.toString()));
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + " failed:\n" + output);
    }

    private static boolean found(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
