package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** init-model writes a new folder and never writes over one that holds anything (a real model, say). */
class InitModelCommandTest {

    @TempDir
    Path dir;

    private static int run(StringWriter err, String... args) {
        return new CommandLine(new InitModelCommand()).setErr(new PrintWriter(err))
                .setCaseInsensitiveEnumValuesAllowed(true).setExecutionExceptionHandler(new ErrorReporter())
                .execute(args);
    }

    @Test
    void writesANewFolderAndRefusesOneThatHoldsFiles() throws Exception {
        assertEquals(0, run(new StringWriter(), "--arch", "llama", "--out", dir.resolve("new").toString()));
        assertTrue(Files.isRegularFile(dir.resolve("new/model.safetensors")));

        Path model = Files.createDirectories(dir.resolve("real-model"));
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 4096}");
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "--arch", "llama", "--out", model.toString()));
        assertTrue(err.toString().contains("--out " + model + " is not empty (it holds config.json): init-model "
                + "writes a whole new model folder and would overwrite its files; name a new or empty folder"),
                err.toString());
        assertEquals("{\"hidden_size\": 4096}", Files.readString(model.resolve("config.json")));
        try (var children = Files.list(model)) {
            assertEquals(1, children.count(), "nothing was written beside it");
        }
    }
}
