package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Every node of a CRD schema, depth first, with its path and how many times it can occur in one resource. */
final class SchemaTree {

    /**
     * One schema node. Paths are dotted, with {@code []} for the items of a list and {@code {}} for the values of
     * a map (spec.lora.targetModules[], spec.resources.nodeSelector{}).
     */
    record Node(String path, JsonNode schema, long cardinality) {
    }

    private SchemaTree() {
    }

    /** {@code root} and every node below it; {@code root} occurs {@code cardinality} times. */
    static List<Node> nodes(JsonNode root, String path, long cardinality) {
        List<Node> into = new ArrayList<>();
        collect(root, path, cardinality, into);
        return into;
    }

    private static void collect(JsonNode schema, String path, long cardinality, List<Node> into) {
        into.add(new Node(path, schema, cardinality));
        long childCardinality = SchemaSizes.times(cardinality, SchemaSizes.childCardinality(schema));
        schema.path("properties").fields().forEachRemaining(p ->
                collect(p.getValue(), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), childCardinality, into));
        if (schema.path("items").isObject()) {
            collect(schema.get("items"), path + "[]", childCardinality, into);
        }
        if (schema.path("additionalProperties").isObject()) {
            collect(schema.get("additionalProperties"), path + "{}", childCardinality, into);
        }
    }
}
