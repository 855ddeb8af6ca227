package io.kubelora.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.ResourcesSpec;
import io.kubelora.operator.Runs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The spec hash tells a run's Job that its spec was edited: every field of the spec changes it, except
 * {@code suspend}, which may change while the Job runs. The fields are taken from the CRD's schema, so a field
 * added later is tried too; each is changed in turn, alone, from a spec that sets many of them.
 */
class SpecHashTest {

    /** The one field that must not change the hash. */
    private static final String SUSPEND = "suspend";

    private static final ObjectMapper JSON = LoraFineTuneYaml.strictJson();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final LoraFineTuneSpec BASE = Runs.full("h").getSpec();

    /** Every leaf field of the spec schema, embedded Kubernetes types included: path to its schema. */
    static Stream<Arguments> fields() {
        Map<String, JsonNode> leaves = new LinkedHashMap<>();
        collectLeaves(specSchema(), "", leaves);
        return leaves.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fields")
    void everyFieldButSuspendChangesTheHash(String path, JsonNode schema) throws Exception {
        ObjectNode changed = JSON.valueToTree(BASE);
        set(changed, List.of(path.split("\\.")), schema);
        // As LoraFineTuneYaml reads specs: trailing-token checks are for documents (a Quantity reads a sub-tree).
        LoraFineTuneSpec variant = JSON.readerFor(LoraFineTuneSpec.class)
                .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(changed);
        assertNotEquals(JSON.valueToTree(BASE), JSON.valueToTree(variant), path + " was not changed");
        if (path.equals(SUSPEND)) {
            assertEquals(SpecHash.of(BASE), SpecHash.of(variant), "suspend must not change the hash");
        } else {
            assertNotEquals(SpecHash.of(BASE), SpecHash.of(variant), path + " does not change the hash");
        }
    }

    @Test
    void coversTheSpecsTopLevelFields() {
        List<String> tried = fields().map(a -> a.get()[0].toString().split("\\.")[0]).distinct().sorted().toList();
        List<String> all = new ArrayList<>();
        specSchema().path("properties").fieldNames().forEachRemaining(all::add);
        assertEquals(all.stream().sorted().toList(), tried);
        assertTrue(tried.contains(SUSPEND));
    }

    @Test
    void hashIsHexAndStable() {
        String hash = SpecHash.of(BASE);
        assertTrue(hash.matches("[0-9a-f]{32}"), hash);
        assertEquals(hash, SpecHash.of(Runs.full("h").getSpec()));
    }

    @Test
    void defaultsWrittenOrOmittedHashTheSame() {
        LoraFineTuneSpec minimal = Runs.minimal("h").getSpec();
        LoraFineTuneSpec explicit = new LoraFineTuneSpec(minimal.baseModel(), minimal.dataset(), minimal.lora(),
                minimal.quantization(), null, minimal.training(), null, minimal.output(), minimal.merge(),
                minimal.resources(), null, null, false, null, 0, null, null, List.of(), null);
        assertEquals(SpecHash.of(minimal), SpecHash.of(explicit));
    }

    @Test
    void mapOrderDoesNotChangeTheHash() {
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        assertEquals(SpecHash.of(withNodeSelector(ab)), SpecHash.of(withNodeSelector(ba)));
    }

    private static LoraFineTuneSpec withNodeSelector(Map<String, String> labels) {
        ResourcesSpec r = BASE.resources();
        ResourcesSpec resources = new ResourcesSpec(r.gpus(), r.gpuResourceName(), r.memory(), r.cpu(), labels,
                r.tolerations(), r.affinity(), r.priorityClassName(), r.ephemeralStorage(), r.modelCacheClaimName());
        return BASE.toBuilder().resources(resources).build();
    }

    /** Dotted paths of the leaves below {@code schema}; {@code []} marks the items of a list, {@code {}} a map value. */
    private static void collectLeaves(JsonNode schema, String path, Map<String, JsonNode> into) {
        String prefix = path.isEmpty() ? "" : path + ".";
        if (schema.path("properties").size() > 0) {
            schema.get("properties").fields().forEachRemaining(p -> collectLeaves(p.getValue(), prefix + p.getKey(),
                    into));
        } else if (schema.path("items").isObject()) {
            collectLeaves(schema.get("items"), prefix + "[]", into);
        } else if (schema.path("additionalProperties").isObject()) {
            collectLeaves(schema.get("additionalProperties"), prefix + "{}", into);
        } else {
            into.put(path, schema);
        }
    }

    /** Gives the leaf at {@code path} another value, creating what leads to it. */
    private static void set(JsonNode container, List<String> path, JsonNode leafSchema) {
        String step = path.get(0);
        boolean last = path.size() == 1;
        List<String> rest = path.subList(1, path.size());
        if (step.equals("[]")) {
            ArrayNode list = (ArrayNode) container;
            if (last) {
                list.insert(0, different(list.isEmpty() ? null : list.get(0), leafSchema));
            } else {
                if (list.isEmpty()) {
                    list.add(rest.get(0).equals("[]") ? NODES.arrayNode() : NODES.objectNode());
                }
                set(list.get(0), rest, leafSchema);
            }
            return;
        }
        ObjectNode object = (ObjectNode) container;
        String key = step.equals("{}") ? "changed-key" : step;
        if (last) {
            object.set(key, different(object.get(key), leafSchema));
        } else {
            JsonNode next = object.get(key);
            if (next == null || next.isNull()) {
                next = rest.get(0).equals("[]") ? NODES.arrayNode() : NODES.objectNode();
                object.set(key, next);
            }
            set(next, rest, leafSchema);
        }
    }

    /** A valid value of the leaf's type that differs from {@code current}. */
    private static JsonNode different(JsonNode current, JsonNode schema) {
        if (schema.has("enum")) {
            for (JsonNode option : schema.get("enum")) {
                if (current == null || !option.equals(current)) {
                    return option;
                }
            }
        }
        if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !schema.has("type")) {
            return NODES.textNode(current != null && current.asText().equals("changed") ? "changed again" : "changed");
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            return NODES.textNode(current != null && current.asText().equals("3Gi") ? "5Gi" : "3Gi");
        }
        return switch (schema.path("type").asText()) {
            case "integer" -> NODES.numberNode(current == null || current.isNull() ? 7 : current.asLong() + 1);
            case "number" -> NODES.numberNode(current == null || current.isNull() ? 0.25 : current.asDouble() + 0.125);
            case "boolean" -> NODES.booleanNode(current == null || current.isNull() || !current.asBoolean());
            case "string" -> NODES.textNode(current == null || current.isNull() ? "changed" : current.asText() + "x");
            default -> throw new IllegalArgumentException("no value for schema " + schema);
        };
    }

    private static JsonNode specSchema() {
        try (InputStream in = Thread.currentThread().getContextClassLoader()
                .getResourceAsStream("META-INF/fabric8/lorafinetunes.kubelora.io-v1.yml")) {
            JsonNode crd = new YAMLMapper().readTree(in);
            return crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
