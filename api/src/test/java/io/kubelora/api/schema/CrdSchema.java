package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The openAPIV3Schema of one CRD version, and the same schema as a draft-04 JSON schema with the API server's
 * structural rules made explicit:
 * <ul>
 *   <li>unknown fields are errors ({@code additionalProperties: false} on every object that lists its
 *       properties), as with kubectl's default strict field validation;</li>
 *   <li>apiVersion and kind must name the resource, metadata is an object;</li>
 *   <li>{@code x-kubernetes-list-type: set} becomes {@code uniqueItems}: the API server rejects a duplicate;</li>
 *   <li>other {@code x-kubernetes-*} extensions are dropped ({@code int-or-string} is already an {@code anyOf}).</li>
 * </ul>
 */
public final class CrdSchema {

    /** The CRD file, relative to the api module (the working directory of its tests). */
    public static final Path CRD_FILE = Path.of("..", "crds", "lorafinetunes.kubelora.io-v1.yml");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String group;
    private final String kind;
    private final String version;
    private final JsonNode openApiSchema;

    private CrdSchema(String group, String kind, String version, JsonNode openApiSchema) {
        this.group = group;
        this.kind = kind;
        this.version = version;
        this.openApiSchema = openApiSchema;
    }

    /** Reads the storage version's schema of a CRD file. */
    public static CrdSchema load(Path crdFile) {
        JsonNode crd;
        try {
            crd = new YAMLMapper().readTree(crdFile.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CRD " + crdFile.toAbsolutePath(), e);
        }
        JsonNode spec = crd.path("spec");
        for (JsonNode v : spec.path("versions")) {
            if (v.path("storage").asBoolean(false)) {
                JsonNode schema = v.path("schema").path("openAPIV3Schema");
                if (!schema.isObject()) {
                    throw new IllegalArgumentException(crdFile + ": version " + v.path("name").asText()
                            + " has no schema.openAPIV3Schema");
                }
                return new CrdSchema(spec.path("group").asText(), spec.path("names").path("kind").asText(),
                        v.path("name").asText(), schema);
            }
        }
        throw new IllegalArgumentException(crdFile + ": no version with storage: true");
    }

    public static CrdSchema load() {
        return load(CRD_FILE);
    }

    public String apiVersion() {
        return group + "/" + version;
    }

    public String kind() {
        return kind;
    }

    /** The schema as written in the CRD (read-only use). */
    public JsonNode openApiSchema() {
        return openApiSchema;
    }

    /** The draft-04 JSON schema a document must satisfy before its CEL rules run. */
    public ObjectNode jsonSchema() {
        ObjectNode root = strict(openApiSchema);
        root.put("$schema", "http://json-schema.org/draft-04/schema#");
        ObjectNode properties = root.withObjectProperty("properties");
        properties.set("apiVersion", NODES.objectNode().put("type", "string")
                .set("enum", NODES.arrayNode().add(apiVersion())));
        properties.set("kind", NODES.objectNode().put("type", "string")
                .set("enum", NODES.arrayNode().add(kind)));
        properties.set("metadata", NODES.objectNode().put("type", "object"));
        ArrayNode required = NODES.arrayNode().add("apiVersion").add("kind");
        root.path("required").forEach(required::add);
        root.set("required", required);
        return root;
    }

    /** Every CEL rule in the schema, in document order. */
    public List<CelRule> celRules() {
        List<CelRule> rules = new ArrayList<>();
        collectRules(openApiSchema, "", rules);
        return rules;
    }

    private static void collectRules(JsonNode schema, String path, List<CelRule> into) {
        for (JsonNode v : schema.path("x-kubernetes-validations")) {
            into.add(new CelRule(path.isEmpty() ? "<root>" : path, v.path("rule").asText(),
                    v.path("message").asText(v.path("rule").asText())));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            collectRules(p.getValue(), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), into);
        }
        if (schema.has("items")) {
            collectRules(schema.get("items"), path + "[]", into);
        }
        if (schema.path("additionalProperties").isObject()) {
            collectRules(schema.get("additionalProperties"), path + "{}", into);
        }
    }

    /** A copy without x-kubernetes-* keys, closed to unknown fields where the schema lists properties. */
    private static ObjectNode strict(JsonNode schema) {
        ObjectNode copy = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.startsWith("x-kubernetes-")) {
                continue;
            }
            switch (key) {
                case "properties" -> {
                    ObjectNode props = NODES.objectNode();
                    value.fields().forEachRemaining(p -> props.set(p.getKey(), strict(p.getValue())));
                    copy.set(key, props);
                }
                case "items", "additionalProperties", "not" -> copy.set(key,
                        value.isObject() ? strict(value) : value.deepCopy());
                case "allOf", "anyOf", "oneOf" -> {
                    ArrayNode list = NODES.arrayNode();
                    value.forEach(s -> list.add(strict(s)));
                    copy.set(key, list);
                }
                default -> copy.set(key, value.deepCopy());
            }
        }
        if ("set".equals(schema.path("x-kubernetes-list-type").asText())) {
            copy.put("uniqueItems", true);
        }
        boolean preservesUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (schema.has("properties") && !schema.has("additionalProperties") && !preservesUnknown) {
            copy.put("additionalProperties", false);
        }
        return copy;
    }
}
