package io.kubelora.api;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Type errors in a document, in the user's words: the field's Java type is found by walking the model along the
 * field path, and a value whose shape does not fit it becomes "expected an integer, was 'sixteen'" instead of
 * Jackson's coercion internals.
 */
final class FieldTypes {

    private final ObjectMapper mapper;

    FieldTypes(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A value that does not fit its field: where it is (field names and list indexes) and what is wrong. */
    record Mismatch(List<Object> steps, String problem) {
    }

    /**
     * The first value, in document order, that the API server would refuse for its type although Jackson might
     * bind it: a null item of a list or map, or a fraction where a quantity is expected ({@code cpu: 0.5}; the
     * CRD declares quantities int-or-string). Values of types not known here are left to the binding.
     */
    Optional<Mismatch> firstMismatch(Class<?> root, JsonNode document) {
        return walk(mapper.constructType(root), document, new ArrayList<>(), false);
    }

    private Optional<Mismatch> walk(JavaType type, JsonNode value, List<Object> steps, boolean item) {
        if (value.isNull()) {
            return item ? Optional.of(new Mismatch(List.copyOf(steps), "expected " + expected(type, value)
                    + ", was null")) : Optional.empty();
        }
        Class<?> raw = type.getRawClass();
        if (isLeaf(raw)) {
            return fits(raw, value) ? Optional.empty() : Optional.of(new Mismatch(List.copyOf(steps),
                    "expected " + expected(type, value) + ", was " + shown(value) + (raw == Quantity.class
                    && value.isNumber() ? " (quote a fraction, '" + value.asText() + "': unquoted, Kubernetes"
                    + " takes only whole numbers)" : "")));
        }
        if ((type.isCollectionLikeType() || type.isArrayType()) && value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                Optional<Mismatch> found = child(type.getContentType(), value.get(i), steps, i, true);
                if (found.isPresent()) {
                    return found;
                }
            }
        } else if (value.isObject() && !type.isCollectionLikeType() && !type.isArrayType()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JavaType fieldType = member(type, field.getKey());
                if (fieldType != null) {
                    Optional<Mismatch> found = child(fieldType, field.getValue(), steps, field.getKey(),
                            type.isMapLikeType());
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private Optional<Mismatch> child(JavaType type, JsonNode value, List<Object> steps, Object step, boolean item) {
        steps.add(step);
        try {
            return walk(type, value, steps, item);
        } finally {
            steps.remove(steps.size() - 1);
        }
    }

    private static boolean isLeaf(Class<?> type) {
        return type.isPrimitive() || Number.class.isAssignableFrom(type) || type == Boolean.class
                || type == String.class || type.isEnum() || type == Quantity.class;
    }

    /** What is wrong with the value at {@code steps}, or empty when its shape fits the field's type. */
    Optional<String> mismatch(Class<?> root, List<Object> steps, JsonNode document) {
        JavaType type = mapper.constructType(root);
        JsonNode value = document;
        for (Object step : steps) {
            type = step instanceof String name ? member(type, name) : element(type);
            value = step instanceof String name ? value.path(name) : value.path((Integer) step);
            if (type == null) {
                return Optional.empty();
            }
        }
        if (value.isMissingNode() || fits(type.getRawClass(), value)) {
            return Optional.empty();
        }
        return Optional.of("expected " + expected(type, value) + ", was " + shown(value));
    }

    private JavaType member(JavaType type, String name) {
        if (type.isMapLikeType()) {
            return type.getContentType();
        }
        BeanDescription bean = mapper.getSerializationConfig().introspect(type);
        return bean.findProperties().stream().filter(p -> p.getName().equals(name)).findFirst()
                .map(BeanPropertyDefinition::getPrimaryType).orElse(null);
    }

    private static JavaType element(JavaType type) {
        return type.isCollectionLikeType() || type.isArrayType() ? type.getContentType() : null;
    }

    private static boolean fits(Class<?> type, JsonNode value) {
        if (type == Integer.class || type == int.class) {
            return value.canConvertToInt() && value.isIntegralNumber();
        }
        if (type == Long.class || type == long.class) {
            return value.canConvertToLong() && value.isIntegralNumber();
        }
        if (type == Double.class || type == double.class) {
            return value.isNumber();
        }
        if (type == Boolean.class || type == boolean.class) {
            return value.isBoolean();
        }
        if (type == String.class || type.isEnum()) {
            return value.isTextual();
        }
        if (type == Quantity.class) {
            // int-or-string: the API server takes a whole number (4, 4.0) but refuses a fraction.
            return value.isTextual() || value.isIntegralNumber()
                    || value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0;
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return value.isArray();
        }
        return value.isObject() || value.isNull();
    }

    private static String expected(JavaType javaType, JsonNode value) {
        Class<?> type = javaType.getRawClass();
        if ((type == Integer.class || type == int.class) && value.isIntegralNumber()) {
            return "an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
        }
        if (type == Integer.class || type == int.class) {
            return "an integer";
        }
        if (type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(c -> c.toString().toLowerCase())
                    .collect(Collectors.joining(", "));
        }
        if (type == Quantity.class) {
            return "a quantity such as 32Gi, 500m or 4";
        }
        if (javaType.isCollectionLikeType() || type.isArray()) {
            return "a list";
        }
        return "a mapping";
    }

    private static String shown(JsonNode value) {
        if (value.isTextual()) {
            return "'" + value.asText() + "'";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        return value.toString();
    }
}
