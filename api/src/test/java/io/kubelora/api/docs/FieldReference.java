package io.kubelora.api.docs;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * The LoraFineTune field reference of README.md, rendered from the CRD's openAPIV3Schema (whose descriptions
 * come from the api model's {@code @JsonPropertyDescription}s, so README and {@code kubectl explain} say the
 * same): a markdown table of every spec field (path, type, constraints, description), the spec's cross-field
 * rules, then a table of the status fields.
 *
 * <p>Kubernetes types embedded in the schema (affinity, tolerations, ...) are listed once under their own
 * name instead of field by field. Every other field must have a description: rendering fails on one without.
 */
public final class FieldReference {

    /**
     * Kubernetes types in the schema, by field path: listed with this type, their inner fields left out (and left
     * as Kubernetes defines them, without our size bounds, unless a CEL rule reads them).
     */
    public static final Map<String, String> KUBERNETES_TYPES = Map.of(
            "spec.credentials.huggingFaceToken", "object (core/v1 SecretKeySelector)",
            "spec.resources.affinity", "object (core/v1 Affinity)",
            "spec.resources.tolerations", "array of core/v1 Toleration",
            "status.conditions", "array of meta/v1 Condition");

    /** Where a FineTuneProfile holds a LoraFineTune spec: its paths below are those of a run's spec. */
    public static final String PROFILE_TEMPLATE = "spec.template";

    /**
     * Whether the schema path lies below one of the {@link #KUBERNETES_TYPES} (not the field itself), in a
     * LoraFineTune's spec or in a FineTuneProfile's template of one.
     */
    public static boolean insideKubernetesType(String path) {
        String specPath = path.startsWith(PROFILE_TEMPLATE + ".")
                ? "spec." + path.substring(PROFILE_TEMPLATE.length() + 1) : path;
        return KUBERNETES_TYPES.keySet().stream().anyMatch(type -> specPath.startsWith(type + ".")
                || specPath.startsWith(type + "[]") || specPath.startsWith(type + "{}"));
    }

    /** One table row. */
    record Field(String path, String type, List<String> constraints, String description) {
    }

    private final Map<String, String> kubernetesTypes;

    FieldReference(Map<String, String> kubernetesTypes) {
        this.kubernetesTypes = Map.copyOf(kubernetesTypes);
    }

    /** The README section for the LoraFineTune CRD's schema. */
    public static String render(JsonNode openApiSchema) {
        return new FieldReference(KUBERNETES_TYPES).markdown(openApiSchema);
    }

    String markdown(JsonNode openApiSchema) {
        JsonNode spec = openApiSchema.path("properties").path("spec");
        JsonNode status = openApiSchema.path("properties").path("status");
        StringBuilder out = new StringBuilder();
        out.append("**spec**\n\n");
        table(fields(spec, "spec"), out);
        List<String> rules = ruleMessages(spec);
        if (!rules.isEmpty()) {
            out.append("\nRules across fields, checked by the API server and again by the operator:\n\n");
            rules.forEach(rule -> out.append("- ").append(text(rule)).append('\n'));
        }
        if (status.isObject()) {
            out.append("\n**status** (written by the operator)\n\n");
            table(fields(status, "status"), out);
        }
        return out.toString();
    }

    /** The fields below {@code schema} (not {@code schema} itself), depth first in schema order. */
    List<Field> fields(JsonNode schema, String path) {
        List<Field> into = new ArrayList<>();
        collectChildren(schema, path, into);
        return into;
    }

    private void collectChildren(JsonNode schema, String path, List<Field> into) {
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        schema.path("properties").fields().forEachRemaining(property -> {
            String childPath = path + "." + property.getKey();
            collect(property.getValue(), childPath, required.contains(property.getKey()), into);
        });
        JsonNode items = schema.path("items");
        if (items.has("properties")) {
            collectChildren(items, path + "[]", into);
        }
    }

    private void collect(JsonNode schema, String path, boolean required, List<Field> into) {
        String kubernetesType = kubernetesTypes.get(path);
        String description = schema.path("description").asText("").strip();
        if (description.isEmpty()) {
            throw new IllegalStateException(path + " has no description: give its Java field a "
                    + "@JsonPropertyDescription, or, if it is a Kubernetes type, list it in "
                    + FieldReference.class.getSimpleName() + ".KUBERNETES_TYPES");
        }
        List<String> constraints = new ArrayList<>();
        if (required) {
            constraints.add("required");
        }
        constraints.addAll(constraints(schema));
        into.add(new Field(path, kubernetesType != null ? kubernetesType : type(schema), constraints, description));
        if (kubernetesType == null) {
            collectChildren(schema, path, into);
            JsonNode values = schema.path("additionalProperties");
            if (values.has("properties")) {
                collectChildren(values, path + ".{key}", into);
            }
        }
    }

    static String type(JsonNode schema) {
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            return "integer or string";
        }
        String type = schema.path("type").asText("");
        if (type.equals("array")) {
            return "array of " + type(schema.path("items"));
        }
        if (type.equals("object") && schema.path("additionalProperties").isObject()) {
            return "map of string to " + type(schema.path("additionalProperties"));
        }
        if (type.isEmpty()) {
            return schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) ? "any JSON value" : "any";
        }
        return type;
    }

    /** Bounds, allowed values, pattern, sizes and the field's own CEL rules, as short markdown phrases. */
    static List<String> constraints(JsonNode schema) {
        List<String> out = new ArrayList<>();
        String range = range(schema);
        if (range != null) {
            out.add(range);
        }
        if (schema.has("enum")) {
            out.add("one of " + StreamSupport.stream(schema.get("enum").spliterator(), false)
                    .map(v -> code(v.asText())).collect(Collectors.joining(", ")));
        }
        if (schema.has("pattern")) {
            out.add("pattern " + code(schema.get("pattern").asText()));
        }
        sizes(schema, "minItems", "maxItems", "item", "items", out);
        sizes(schema, "minLength", "maxLength", "character", "characters", out);
        sizes(schema, "minProperties", "maxProperties", "entry", "entries", out);
        if ("set".equals(schema.path("x-kubernetes-list-type").asText())) {
            out.add("no duplicates");
        }
        if (schema.path("items").isObject() && !schema.path("items").has("properties")) {
            constraints(schema.get("items")).forEach(c -> out.add("each " + c));
        }
        if (schema.path("additionalProperties").isObject() && !schema.path("additionalProperties").has("properties")) {
            constraints(schema.get("additionalProperties")).forEach(c -> out.add("each value " + c));
        }
        ruleMessages(schema).forEach(message -> out.add(text(message)));
        return out;
    }

    /** {@code 1 to 1024}, {@code ≥ 0}, {@code > 0} or null. */
    private static String range(JsonNode schema) {
        boolean hasMin = schema.has("minimum");
        boolean hasMax = schema.has("maximum");
        boolean exclusiveMin = schema.path("exclusiveMinimum").asBoolean(false);
        boolean exclusiveMax = schema.path("exclusiveMaximum").asBoolean(false);
        String min = hasMin ? number(schema.get("minimum")) : null;
        String max = hasMax ? number(schema.get("maximum")) : null;
        if (hasMin && hasMax && !exclusiveMin && !exclusiveMax) {
            return min + " to " + max;
        }
        List<String> parts = new ArrayList<>();
        if (hasMin) {
            parts.add((exclusiveMin ? "> " : "≥ ") + min);
        }
        if (hasMax) {
            parts.add((exclusiveMax ? "< " : "≤ ") + max);
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private static void sizes(JsonNode schema, String minKey, String maxKey, String one, String many,
            List<String> out) {
        if (schema.has(minKey)) {
            long n = schema.get(minKey).asLong();
            out.add("at least " + n + " " + (n == 1 ? one : many));
        }
        if (schema.has(maxKey)) {
            long n = schema.get(maxKey).asLong();
            out.add("at most " + n + " " + (n == 1 ? one : many));
        }
    }

    /** The schema writes bounds as floats (1.0); the reference shows 1, 0.5, 131072. */
    private static String number(JsonNode value) {
        BigDecimal n = value.decimalValue().stripTrailingZeros();
        return (n.scale() < 0 ? n.setScale(0) : n).toPlainString();
    }

    private static List<String> ruleMessages(JsonNode schema) {
        List<String> messages = new ArrayList<>();
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            messages.add(rule.path("message").asText(rule.path("rule").asText()));
        }
        return messages;
    }

    private static void table(List<Field> fields, StringBuilder out) {
        out.append("| Field | Type | Constraints | Description |\n");
        out.append("|---|---|---|---|\n");
        for (Field f : fields) {
            out.append("| ").append(code(f.path())).append(" | ")
                    .append(text(f.type())).append(" | ")
                    .append(String.join("; ", f.constraints())).append(" | ")
                    .append(text(f.description())).append(" |\n");
        }
    }

    /**
     * Plain text that stays inside one table cell: a pipe would end the cell, a line break the row, and
     * {@code <} could open an HTML tag.
     */
    static String text(String text) {
        return oneLine(text).replace("|", "\\|").replace("<", "&lt;");
    }

    /** A code span inside a table cell: GitHub honours the escaped pipe there too; entities would show as typed. */
    static String code(String text) {
        return "`" + oneLine(text).replace("|", "\\|") + "`";
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
