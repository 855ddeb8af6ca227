package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every CRD committed in crds/ must be exactly one generated from the Java model by this build, and vice versa. */
class CrdDriftTest {

    private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
    private static final Path COMMITTED = Path.of("../crds");

    static List<String> generated() throws IOException {
        return names(GENERATED);
    }

    @Test
    void crdsHoldsExactlyTheGeneratedCrds() throws IOException {
        assertEquals(generated(), names(COMMITTED), "crds/ and the CRDs generated from the api model differ: copy "
                + GENERATED + "/*.yml to crds/ (and to the chart's crds/), remove what is no longer generated");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("generated")
    void committedCrdMatchesGeneratedOne(String crd) throws IOException {
        assertEquals(Files.readString(GENERATED.resolve(crd)), Files.readString(COMMITTED.resolve(crd)),
                "crds/" + crd + " differs from the CRD generated from the api model: copy "
                        + GENERATED.resolve(crd) + " to crds/ (and to the chart's crds/)");
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
        }
    }
}
