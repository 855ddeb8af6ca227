package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

/** LoraFineTune documents for tests: a minimal valid one, and variants made by merging a YAML patch into it. */
final class Documents {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static final String MINIMAL = """
            apiVersion: kubelora.io/v1alpha1
            kind: LoraFineTune
            metadata:
              name: test-run
            spec:
              baseModel:
                uri: hf://org/model
              dataset:
                uri: s3://bucket/data.jsonl
              output:
                uri: s3://bucket/out
            """;

    private Documents() {
    }

    static ObjectNode minimal() {
        return (ObjectNode) read(MINIMAL);
    }

    /**
     * The minimal document with {@code specPatch} (YAML of spec fields) merged into its spec; a null in the patch
     * removes the field, as the API server prunes nulls before it validates.
     */
    static ObjectNode withSpec(String specPatch) {
        ObjectNode doc = minimal();
        merge((ObjectNode) doc.get("spec"), read(specPatch));
        return doc;
    }

    /** The minimal document with {@code fields} removed (dotted paths such as spec.dataset.uri). */
    static ObjectNode without(String... fields) {
        ObjectNode doc = minimal();
        for (String field : fields) {
            int dot = field.lastIndexOf('.');
            JsonNode parent = dot < 0 ? doc : doc.at("/" + field.substring(0, dot).replace('.', '/'));
            ((ObjectNode) parent).remove(field.substring(dot + 1));
        }
        return doc;
    }

    static String yaml(JsonNode doc) {
        try {
            return YAML.writeValueAsString(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("bad YAML in a test: " + yaml, e);
        }
    }

    private static void merge(ObjectNode into, JsonNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = into.get(e.getKey());
            if (e.getValue().isNull()) {
                into.remove(e.getKey());
            } else if (existing instanceof ObjectNode target && e.getValue().isObject()) {
                merge(target, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }
}
