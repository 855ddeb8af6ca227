package io.kubelora.trainer.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A kubelora command line run in the test's JVM, with what it printed on stdout and stderr.
 *
 * @param exitCode the command's exit code
 * @param out      what it printed on stdout
 * @param err      what it printed on stderr
 */
public record CommandRun(int exitCode, String out, String err) {

    public static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CommandRun(exitCode, out.toString(), err.toString());
    }

    /** Stdout without its final line break (generate prints one line: the prompt as written, then the answer). */
    public String line() {
        return out.endsWith(System.lineSeparator()) ? out.substring(0, out.length() - System.lineSeparator().length())
                : out;
    }
}
