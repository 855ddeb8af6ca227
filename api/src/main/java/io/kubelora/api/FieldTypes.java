package io.kubelora.api;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
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
            return value.isTextual() || value.isIntegralNumber();
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
