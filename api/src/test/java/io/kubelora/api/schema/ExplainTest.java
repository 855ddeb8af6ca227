package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubelora.api.docs.FieldReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kubectl explain} reads the CRD's descriptions: the resource itself, spec, status and every field of
 * ours must have one, in every CRD the project ships (embedded Kubernetes types carry none in the schema).
 */
class ExplainTest {

    static List<ShippedCrds.Version> versions() {
        return ShippedCrds.versions();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void resourceSpecStatusAndEveryFieldAreDescribed(ShippedCrds.Version version) {
        List<String> undescribed = new ArrayList<>();
        JsonNode root = version.openApiSchema();
        if (root.path("description").asText("").isBlank()) {
            undescribed.add("<root>");
        }
        for (String part : List.of("spec", "status")) {
            JsonNode schema = root.path("properties").path(part);
            if (schema.isMissingNode()) {
                continue;
            }
            for (SchemaTree.Node node : SchemaTree.nodes(schema, part, 1)) {
                // Items and map values are described by their list or map.
                boolean element = node.path().endsWith("[]") || node.path().endsWith("{}");
                if (!FieldReference.insideKubernetesType(node.path()) && !element && node.schema().path("description").asText("").isBlank()) {
                    undescribed.add(node.path());
                }
            }
        }
        assertEquals(List.of(), undescribed, version + ": no description for kubectl explain");
    }
}
