package io.kubelora.api.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubelora.api.schema.CrdSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * README.md's LoraFineTune reference must be what {@link FieldReference} renders from the committed CRD.
 * Run with {@code -Dkubelora.updateReadme=true} to rewrite the section instead of comparing.
 */
class ReadmeFieldReferenceTest {

    static final Path README = Path.of("..", "README.md");
    static final ReadmeSection SECTION = new ReadmeSection("field-reference");
    private static final String UPDATE_PROPERTY = "kubelora.updateReadme";

    @Test
    void readmeReferenceMatchesTheCrd() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        String rendered = FieldReference.render(CrdSchema.load().openApiSchema());
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.writeString(README, SECTION.replace(readme, rendered), StandardCharsets.UTF_8);
            readme = Files.readString(README, StandardCharsets.UTF_8);
        }
        assertEquals(rendered, SECTION.extract(readme),
                "README.md's section between " + SECTION.startMarker() + " and " + SECTION.endMarker()
                        + " differs from the reference rendered from " + CrdSchema.CRD_FILE.normalize()
                        + ". Regenerate it: mvn -B -pl api test -Dtest=ReadmeFieldReferenceTest -D"
                        + UPDATE_PROPERTY + "=true");
    }
}
