package io.kubelora.trainer.cli;

import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.data.DatasetException;
import io.kubelora.trainer.device.GpuUnavailableException;
import io.kubelora.trainer.memory.WontFitException;
import io.kubelora.trainer.model.ModelLoadException;
import io.kubelora.trainer.train.OutOfGpuMemoryException;
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
        return exitCode(e).code();
    }

    /**
     * The exit code that tells the operator whether running the pod again could help: the first cause that
     * names bad input decides; anything else may be transient.
     */
    static TrainerExitCode exitCode(Throwable e) {
        if (e instanceof IllegalArgumentException) {
            return TrainerExitCode.INVALID_SPEC;
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidSpecException) {
                return TrainerExitCode.INVALID_SPEC;
            }
            if (t instanceof DatasetException) {
                return TrainerExitCode.BAD_DATA;
            }
            if (t instanceof ModelLoadException) {
                return TrainerExitCode.BAD_MODEL;
            }
            if (t instanceof GpuUnavailableException) {
                return TrainerExitCode.GPU_UNAVAILABLE;
            }
            if (t instanceof WontFitException) {
                return TrainerExitCode.WONT_FIT;
            }
            if (t instanceof OutOfGpuMemoryException) {
                return TrainerExitCode.OUT_OF_GPU_MEMORY;
            }
        }
        return TrainerExitCode.FAILED;
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
