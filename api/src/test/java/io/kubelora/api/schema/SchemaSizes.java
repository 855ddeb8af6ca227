package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;

/**
 * How the API server sizes the values of a schema node when it estimates the cost of CEL rules
 * (k8s.io/apiserver/pkg/cel/common/schemas.go, SchemaDeclType): a string holds at most maxLength × 4 bytes, a
 * list maxItems items, a map maxProperties entries; without a bound, as much as fits in the largest request.
 */
final class SchemaSizes {

    /** k8s.io/apiserver/pkg/cel: the largest request the API server accepts, 3 MiB. */
    static final long MAX_REQUEST_BYTES = 3L * 1024 * 1024;
    static final long UNBOUNDED = Long.MAX_VALUE;

    /** String formats whose length the API server knows: duration, date, date-time (schemas.go). */
    private static final Map<String, Long> FORMAT_LENGTHS = Map.of("duration", 32L, "date", 12L, "date-time", 32L);
    private static final Set<String> SCALARS = Set.of("integer", "number", "boolean");

    private SchemaSizes() {
    }

    static boolean isIntOrString(JsonNode schema) {
        return schema.path("x-kubernetes-int-or-string").asBoolean(false);
    }

    static boolean isString(JsonNode schema) {
        return "string".equals(schema.path("type").asText());
    }

    static boolean isArray(JsonNode schema) {
        return "array".equals(schema.path("type").asText());
    }

    static boolean isMap(JsonNode schema) {
        return "object".equals(schema.path("type").asText()) && schema.path("additionalProperties").isObject();
    }

    static boolean isScalar(JsonNode schema) {
        return SCALARS.contains(schema.path("type").asText());
    }

    /**
     * Whether the node bounds its own values: maxLength, an enum or a fixed-size format for text, maxItems for
     * a list, maxProperties for a map. Objects and numbers hold no variable-length data of their own.
     */
    static boolean declaresBound(JsonNode schema) {
        if (isIntOrString(schema)) {
            return schema.has("maxLength");
        }
        if (isString(schema)) {
            return schema.has("maxLength") || schema.has("enum") || FORMAT_LENGTHS.containsKey(format(schema));
        }
        if (isArray(schema)) {
            return schema.has("maxItems");
        }
        if (isMap(schema)) {
            return schema.has("maxProperties");
        }
        return true;
    }

    /**
     * The largest {@code size()} of a value of this node as the API server estimates it. Conservative for
     * int-or-string: API servers before the maxLength-aware estimate size it from the request limit only.
     */
    static long maxSize(JsonNode schema) {
        if (isIntOrString(schema)) {
            return MAX_REQUEST_BYTES - 2;
        }
        if (isString(schema)) {
            if (schema.has("maxLength")) {
                return schema.get("maxLength").asLong() * 4; // maxLength counts runes, cost counts bytes
            }
            if (schema.has("enum")) {
                long longest = 0;
                for (JsonNode value : schema.get("enum")) {
                    longest = Math.max(longest, value.asText().length());
                }
                return longest;
            }
            return FORMAT_LENGTHS.getOrDefault(format(schema), MAX_REQUEST_BYTES - 2);
        }
        if (isArray(schema)) {
            return schema.has("maxItems") ? schema.get("maxItems").asLong()
                    : (MAX_REQUEST_BYTES - 2) / (minSerializedSize(schema.get("items")) + 1);
        }
        if (isMap(schema)) {
            return schema.has("maxProperties") ? schema.get("maxProperties").asLong()
                    : (MAX_REQUEST_BYTES - 2) / (minSerializedSize(schema.get("additionalProperties")) + 6);
        }
        return isScalar(schema) ? 1 : UNBOUNDED;
    }

    /**
     * How many values of each child one value of this node holds, for the number of times a rule below it
     * runs: maxItems of a list, maxProperties of a map, 1 for an object; unbounded without a bound (the API
     * server then falls back to a request-size estimate, which this conservative check does not allow).
     */
    static long childCardinality(JsonNode schema) {
        if (isArray(schema)) {
            return schema.has("maxItems") ? schema.get("maxItems").asLong() : UNBOUNDED;
        }
        if (isMap(schema)) {
            return schema.has("maxProperties") ? schema.get("maxProperties").asLong() : UNBOUNDED;
        }
        return 1;
    }

    /** The shortest JSON a value of this node can be written as (schemas.go's MinSerializedSize). */
    static long minSerializedSize(JsonNode schema) {
        if (isIntOrString(schema)) {
            return 1;
        }
        return switch (schema.path("type").asText()) {
            case "string" -> 2;
            case "boolean" -> 4;
            case "integer", "number" -> 1;
            case "object" -> {
                long size = 2;
                for (JsonNode required : schema.path("required")) {
                    JsonNode property = schema.path("properties").path(required.asText());
                    if (!property.isMissingNode() && !property.has("default")) {
                        size += required.asText().length() + minSerializedSize(property) + 4;
                    }
                }
                yield size;
            }
            default -> 2;
        };
    }

    /** Saturating product: UNBOUNDED stays unbounded. */
    static long times(long a, long b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return a > UNBOUNDED / b ? UNBOUNDED : a * b;
    }

    /** Saturating sum. */
    static long plus(long a, long b) {
        return a > UNBOUNDED - b ? UNBOUNDED : a + b;
    }

    private static String format(JsonNode schema) {
        return schema.path("format").asText("");
    }
}
