package io.kubelora.trainer.data;

import java.nio.file.Path;

/** A dataset that cannot be used; the message names the file and, where one is to blame, the line. */
public final class DatasetException extends RuntimeException {

    private DatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code file:line: problem} */
    public static DatasetException atLine(Path file, long line, String problem) {
        return new DatasetException(file.getFileName() + ":" + line + ": " + problem, null);
    }

    public static DatasetException atLine(Path file, long line, String problem, Throwable cause) {
        return new DatasetException(file.getFileName() + ":" + line + ": " + problem, cause);
    }

    /** {@code file: problem} */
    public static DatasetException inFile(Path file, String problem, Throwable cause) {
        return new DatasetException(file + ": " + problem, cause);
    }
}
