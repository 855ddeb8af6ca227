package io.kubelora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CRD committed in crds/ must be exactly the one generated from the Java model by this build. */
class CrdDriftTest {

    private static final String CRD = "lorafinetunes.kubelora.io-v1.yml";

    @Test
    void committedCrdMatchesGeneratedOne() throws Exception {
        Path generated = Path.of("target/classes/META-INF/fabric8", CRD);
        Path committed = Path.of("../crds", CRD);
        assertTrue(Files.exists(generated), "the build did not generate " + generated);
        assertEquals(Files.readString(generated), Files.readString(committed),
                "crds/" + CRD + " differs from the CRD generated from the api model: copy "
                        + generated + " to crds/ (and to the chart's crds/)");
    }
}
