package io.kubelora.api.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.api.schema.CrdSchema;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FieldReferenceTest {

    private static final FieldReference REFERENCE = new FieldReference(
            Map.of("spec.pod.affinity", "object (core/v1 Affinity)"));

    /** A small schema with one field of each kind the renderer distinguishes. */
    private static final String SCHEMA = """
            properties:
              spec:
                required: [source]
                x-kubernetes-validations:
                - rule: "has(self.source)"
                  message: "spec.source is required"
                properties:
                  source:
                    description: "Where | from."
                    type: object
                    required: [uri]
                    properties:
                      uri:
                        description: "Location."
                        pattern: "^(a|b)://.+$"
                        type: string
                  rank:
                    description: "Rank r,
                      1 to 64."
                    minimum: 1.0
                    maximum: 64.0
                    type: integer
                  rate:
                    description: "Rate."
                    minimum: 0.0
                    type: number
                  mode:
                    description: "Mode."
                    enum: [fast, slow]
                    type: string
                  modules:
                    description: "Modules."
                    minItems: 1
                    x-kubernetes-list-type: set
                    items:
                      maxLength: 32
                      type: string
                    type: array
                  labels:
                    description: "Labels."
                    maxProperties: 8
                    additionalProperties:
                      maxLength: 63
                      type: string
                    type: object
                  memory:
                    description: "Memory."
                    anyOf:
                    - type: integer
                    - type: string
                    x-kubernetes-int-or-string: true
                  pod:
                    description: "Pod settings."
                    type: object
                    properties:
                      affinity:
                        description: "Affinity <rules>."
                        type: object
                        properties:
                          nodeAffinity:
                            type: object
              status:
                properties:
                  phase:
                    description: "Phase."
                    type: string
            """;

    @Test
    void listsEveryFieldWithTypeAndConstraints() throws Exception {
        JsonNode spec = schema().path("properties").path("spec");
        List<FieldReference.Field> fields = REFERENCE.fields(spec, "spec");

        assertEquals(List.of("spec.source", "spec.source.uri", "spec.rank", "spec.rate", "spec.mode",
                "spec.modules", "spec.labels", "spec.memory", "spec.pod", "spec.pod.affinity"),
                fields.stream().map(FieldReference.Field::path).toList());
        assertRow(fields, "spec.source", "object", List.of("required"));
        assertRow(fields, "spec.source.uri", "string", List.of("required", "pattern `^(a\\|b)://.+$`"));
        assertRow(fields, "spec.rank", "integer", List.of("1 to 64"));
        assertRow(fields, "spec.rate", "number", List.of("≥ 0"));
        assertRow(fields, "spec.mode", "string", List.of("one of `fast`, `slow`"));
        assertRow(fields, "spec.modules", "array of string", List.of("at least 1 item", "no duplicates",
                "each at most 32 characters"));
        assertRow(fields, "spec.labels", "map of string to string",
                List.of("at most 8 entries", "each value at most 63 characters"));
        assertRow(fields, "spec.memory", "integer or string", List.of());
        assertRow(fields, "spec.pod.affinity", "object (core/v1 Affinity)", List.of());
    }

    @Test
    void rendersOneTableRowPerFieldWithCellsKeptIntact() throws Exception {
        String markdown = REFERENCE.markdown(schema());

        assertTrue(markdown.startsWith("**spec**\n\n| Field | Type | Constraints | Description |\n|---|---|---|---|\n"),
                markdown);
        assertTrue(markdown.contains("| `spec.rank` | integer | 1 to 64 | Rank r, 1 to 64. |\n"), markdown);
        assertTrue(markdown.contains("| `spec.source` | object | required | Where \\| from. |\n"), markdown);
        assertTrue(markdown.contains("Affinity &lt;rules>."), markdown);
        assertTrue(markdown.contains("\n- spec.source is required\n"), "the spec's own rules: " + markdown);
        assertTrue(markdown.contains("**status** (written by the operator)\n\n| Field | Type | Constraints"
                + " | Description |\n|---|---|---|---|\n| `status.phase` | string |  | Phase. |\n"), markdown);
        Pattern unescapedPipe = Pattern.compile("(?<!\\\\)\\|");
        for (String line : markdown.split("\n")) {
            if (line.startsWith("| `")) {
                assertEquals(5, unescapedPipe.matcher(line).results().count(), "four cells: " + line);
            }
        }
    }

    @Test
    void refusesAFieldWithoutDescription() throws Exception {
        JsonNode schema = new YAMLMapper().readTree("""
                properties:
                  spec:
                    properties:
                      pod:
                        description: "Pod settings."
                        type: object
                        properties:
                          tolerations:
                            type: array
                """);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> REFERENCE.markdown(schema));
        assertTrue(e.getMessage().startsWith("spec.pod.tolerations has no description"), e.getMessage());
    }

    @Test
    void theCrdIsFullyDocumentedAndItsKubernetesTypesAreNotExpanded() {
        JsonNode spec = CrdSchema.load().openApiSchema().path("properties").path("spec");
        List<String> paths = FieldReference.render(CrdSchema.load().openApiSchema()).lines()
                .filter(l -> l.startsWith("| `")).map(l -> l.substring(3, l.indexOf('`', 3))).toList();

        assertTrue(paths.contains("spec.lora.rank"), paths.toString());
        assertTrue(paths.contains("spec.merge.output.uri"), paths.toString());
        assertTrue(paths.contains("status.mergedModelUri"), paths.toString());
        for (String kubernetesType : FieldReference.KUBERNETES_TYPES.keySet()) {
            assertTrue(paths.contains(kubernetesType), kubernetesType + " should be listed: " + paths);
            assertTrue(paths.stream().noneMatch(p -> p.startsWith(kubernetesType + ".")
                    || p.startsWith(kubernetesType + "[]")), kubernetesType + " should not be expanded: " + paths);
        }
        assertEquals(spec.path("properties").size(),
                paths.stream().filter(p -> p.startsWith("spec.") && p.indexOf('.', 5) < 0).count(),
                "one row per top-level spec field");
    }

    private static void assertRow(List<FieldReference.Field> fields, String path, String type,
                                  List<String> constraints) {
        FieldReference.Field field = fields.stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
        assertEquals(type, field.type(), path);
        assertEquals(constraints, field.constraints(), path);
    }

    private static JsonNode schema() throws Exception {
        return new YAMLMapper().readTree(SCHEMA);
    }
}
