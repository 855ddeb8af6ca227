package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The API server accepts an apiextensions.k8s.io/v1 CRD only with a structural schema: every node names its
 * type (int-or-string and preserve-unknown-fields nodes excepted), anyOf/allOf/oneOf/not only restate
 * validations without types or defaults, and metadata is left to the server.
 */
class StructuralSchemaTest {

    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean");

    @Test
    void crdSchemaIsStructural() {
        List<String> problems = new ArrayList<>();
        JsonNode root = CrdSchema.load().openApiSchema();
        check(root, "<root>", false, problems);
        if (root.path("properties").has("metadata")) {
            problems.add("<root>.metadata: must not be described by the CRD");
        }
        assertEquals(List.of(), problems);
    }

    private static void check(JsonNode node, String path, boolean insideJunctor, List<String> problems) {
        boolean intOrString = node.path("x-kubernetes-int-or-string").asBoolean(false);
        boolean preserves = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (insideJunctor) {
            for (String forbidden : List.of("type", "default", "description", "nullable")) {
                if (node.has(forbidden) && !(forbidden.equals("type") && intOrString)) {
                    problems.add(path + ": '" + forbidden + "' inside anyOf/allOf/oneOf/not");
                }
            }
        } else if (!node.has("type") && !intOrString && !preserves) {
            problems.add(path + ": no type");
        } else if (node.has("type") && !TYPES.contains(node.get("type").asText())) {
            problems.add(path + ": unknown type " + node.get("type"));
        }
        if ("array".equals(node.path("type").asText()) && !node.has("items")) {
            problems.add(path + ": array without items");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            check(p.getValue(), path + "." + p.getKey(), insideJunctor, problems);
        }
        if (node.path("items").isObject()) {
            check(node.get("items"), path + "[]", insideJunctor, problems);
        }
        if (node.path("additionalProperties").isObject()) {
            check(node.get("additionalProperties"), path + "{}", insideJunctor, problems);
        }
        if (node.has("properties") && node.path("additionalProperties").isObject()) {
            problems.add(path + ": both properties and additionalProperties");
        }
        for (String junctor : List.of("anyOf", "allOf", "oneOf")) {
            for (JsonNode branch : node.path(junctor)) {
                checkJunctorBranch(branch, path + "." + junctor, intOrString, problems);
            }
        }
        if (node.path("not").isObject()) {
            checkJunctorBranch(node.get("not"), path + ".not", intOrString, problems);
        }
    }

    private static void checkJunctorBranch(JsonNode branch, String path, boolean intOrString, List<String> problems) {
        // int-or-string is written as anyOf [{type: integer}, {type: string}]: the one allowed use of type there.
        boolean intOrStringBranch = intOrString && branch.size() == 1
                && Set.of("integer", "string").contains(branch.path("type").asText());
        if (!intOrStringBranch) {
            check(branch, path, true, problems);
        }
    }
}
