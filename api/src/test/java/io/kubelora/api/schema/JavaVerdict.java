package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTuneYaml;
import java.util.List;

/** What the Java side (strict YAML reader + SpecValidator) says about a document: its violations, or none. */
final class JavaVerdict {

    private JavaVerdict() {
    }

    static List<String> of(JsonNode document) {
        try {
            LoraFineTuneYaml.parse(Documents.yaml(document), "test document");
            return List.of();
        } catch (InvalidSpecException e) {
            return e.violations().stream().map(Object::toString).toList();
        }
    }
}
