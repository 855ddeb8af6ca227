package io.kubelora.api.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ReadmeSectionTest {

    private static final ReadmeSection SECTION = new ReadmeSection("table");
    private static final String DOCUMENT = """
            # Title

            Intro.
            <!-- table:start -->
            | old |
            <!-- table:end -->

            ## Next
            """;

    @Test
    void extractsTheLinesBetweenTheMarkers() {
        assertEquals("| old |\n", SECTION.extract(DOCUMENT));
    }

    @Test
    void replacesOnlyTheLinesBetweenTheMarkers() {
        String updated = SECTION.replace(DOCUMENT, "| new |\n| rows |");

        assertEquals("""
                # Title

                Intro.
                <!-- table:start -->
                | new |
                | rows |
                <!-- table:end -->

                ## Next
                """, updated);
        assertEquals("| new |\n| rows |\n", SECTION.extract(updated));
    }

    @Test
    void refusesMissingRepeatedOrMisplacedMarkers() {
        assertThrows(IllegalArgumentException.class, () -> SECTION.extract("# Title\n<!-- table:start -->\n"));
        assertThrows(IllegalArgumentException.class, () -> SECTION.extract(DOCUMENT + DOCUMENT));
        assertThrows(IllegalArgumentException.class,
                () -> SECTION.extract("<!-- table:end -->\n<!-- table:start -->\n"));
        assertThrows(IllegalArgumentException.class,
                () -> SECTION.extract("<!-- table:start --> text <!-- table:end -->\n"));
    }
}
