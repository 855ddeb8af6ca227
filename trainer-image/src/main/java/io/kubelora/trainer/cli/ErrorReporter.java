package io.kubelora.trainer.cli;

import io.kubelora.api.InvalidSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failed command into one clear line on stderr (the stack trace only with KUBELORA_DEBUG) and, in a
 * pod, into the container's termination message so the operator can show it in the LoraFineTune status.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parseResult) {
        String message = describe(e);
        cmd.getErr().println("error: " + message);
        if (System.getenv("KUBELORA_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
        }
        TerminationMessage.write(message);
        return e instanceof InvalidSpecException || e instanceof IllegalArgumentException ? 2 : 1;
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof UncheckedIOException || t.getClass() == RuntimeException.class) && t.getCause() != null
                && t.getMessage() == null) {
            t = t.getCause();
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory: lower training.batchSize or dataset.maxSeqLength, enable "
                    + "training.gradientCheckpointing or quantization: nf4, or raise resources.memory";
        }
        String text = t.getMessage();
        if (text == null || text.isBlank()) {
            text = t.getClass().getSimpleName();
        } else if (t instanceof IOException && !(t instanceof java.nio.file.NoSuchFileException)) {
            text = t.getClass().getSimpleName().replace("Exception", "") + ": " + text;
        } else if (t instanceof java.nio.file.NoSuchFileException) {
            text = "no such file: " + text;
        }
        return text;
    }
}
