package io.kubelora.charts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The main sources of another module as one text, to check that a name an image or the chart hands over (an
 * environment variable, a path) is really used on the other side.
 */
final class SourceContract {

    private SourceContract() {
    }

    /** Every .java and .properties file under {@code module}/src/main, concatenated. */
    static String mainSources(String module) {
        Path root = Path.of("..", module, "src", "main");
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".properties"))
                    .sorted()
                    .map(SourceContract::read)
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root.toAbsolutePath(), e);
        }
    }

    /** Whether {@code text} holds {@code value} as a string literal. */
    static boolean hasLiteral(String text, String value) {
        return text.contains("\"" + value + "\"");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
