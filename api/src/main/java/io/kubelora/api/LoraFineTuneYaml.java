package io.kubelora.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads a LoraFineTune document strictly (unknown fields, wrong types, fractions for integers and numbers
 * for text are errors naming the field and line, in words: "expected an integer, was 'sixteen'") and writes
 * one back. The trainer reads the same YAML a user applies.
 */
public final class LoraFineTuneYaml {

    private static final ObjectMapper STRICT = strict(YAMLMapper.builder(
            YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build()).build());

    private LoraFineTuneYaml() {
    }

    /** A strict JSON mapper with the same rules, for callers that hold JSON. */
    public static ObjectMapper strictJson() {
        return strict(JsonMapper.builder().build());
    }

    private static ObjectMapper strict(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        // A number or true where text belongs is a mistake (image: 5), as the API server says too.
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** Reads and validates a file; every problem is an {@link InvalidSpecException} naming file, field and line. */
    public static LoraFineTune read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses and validates one LoraFineTune document. */
    public static LoraFineTune parse(String yaml, String source) {
        return read(onlyDocument(yaml, source), yaml, source);
    }

    /**
     * Reads and validates a LoraFineTune held as a tree (one built by merging others, which has no lines): every
     * problem is an {@link InvalidSpecException} naming the field.
     */
    public static LoraFineTune fromTree(JsonNode document, String source) {
        return read(document, null, source);
    }

    private static LoraFineTune read(JsonNode tree, String yaml, String source) {
        if (tree == null || !tree.isObject()) {
            throw invalid(source, new Violation("document", "must be a LoraFineTune mapping"));
        }
        requireText(source, tree, "apiVersion", LoraFineTune.API_VERSION);
        requireText(source, tree, "kind", LoraFineTune.KIND);
        Optional<FieldTypes.Mismatch> unfit = new FieldTypes(STRICT).firstMismatch(LoraFineTune.class, tree);
        if (unfit.isPresent()) {
            throw invalid(source, new Violation(path(unfit.get().steps()), unfit.get().problem()
                    + where(yaml, unfit.get().steps())));
        }
        LoraFineTune resource;
        try {
            // Trailing-token checks apply to documents, not to sub-trees (fabric8's Quantity reads one).
            resource = STRICT.readerFor(LoraFineTune.class)
                    .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(tree);
        } catch (JsonProcessingException e) {
            throw invalid(source, describe(e, yaml, tree));
        } catch (java.io.IOException e) {
            throw invalid(source, new Violation("document", e.getMessage()));
        }
        SpecValidator.requireValid(source, resource.getSpec());
        return resource;
    }

    /** The file's one YAML document (empty documents, such as after a final ---, do not count). */
    private static JsonNode onlyDocument(String yaml, String source) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = STRICT.readerFor(JsonNode.class)
                .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode document = it.nextValue();
                if (document != null && !document.isNull() && !document.isMissingNode()
                        && !(document.isTextual() && document.asText().isEmpty())) {
                    documents.add(document);
                }
            }
        } catch (JsonProcessingException e) {
            throw invalid(source, new Violation("document", "not valid YAML" + location(e.getLocation()) + ": "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            throw invalid(source, new Violation("document", "cannot be read: " + e.getMessage()));
        }
        if (documents.size() > 1) {
            throw invalid(source, new Violation("document", "the file holds " + documents.size()
                    + " YAML documents (separated by ---) where one LoraFineTune is expected: put each run in a"
                    + " file of its own"));
        }
        return documents.isEmpty() ? null : documents.get(0);
    }

    private static void requireText(String source, JsonNode tree, String field, String expected) {
        JsonNode value = tree.get(field);
        if (value == null || !expected.equals(value.asText())) {
            throw invalid(source, new Violation(field, "must be " + expected + " (was "
                    + (value == null ? "missing" : value.asText()) + ")"));
        }
    }

    private static InvalidSpecException invalid(String source, Violation violation) {
        return new InvalidSpecException(source, List.of(violation));
    }

    /** The document as YAML, defaults filled in. */
    public static String write(LoraFineTune resource) {
        try {
            return STRICT.writeValueAsString(resource);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write LoraFineTune as YAML", e);
        }
    }

    private static Violation describe(JsonProcessingException e, String yaml, JsonNode tree) {
        List<Object> steps = e instanceof JsonMappingException m ? steps(m) : List.of();
        String where = where(yaml, steps);
        if (e instanceof UnrecognizedPropertyException u) {
            return new Violation(path(u), "unknown field" + where + "; known fields: " + known(u.getKnownPropertyIds()));
        }
        Optional<String> mismatch = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? new FieldTypes(STRICT).mismatch(LoraFineTune.class, steps, tree) : Optional.empty();
        if (mismatch.isPresent()) {
            return new Violation(path((JsonMappingException) e), mismatch.get() + where);
        }
        if (e instanceof InvalidFormatException f) {
            return new Violation(path(f), "invalid value '" + f.getValue() + "'" + where + ": expected "
                    + expected(f.getTargetType()));
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return new Violation(path(m), e.getOriginalMessage().replaceAll(" \\(class [^)]*\\)", "") + where);
        }
        return new Violation("document", e.getOriginalMessage() + where);
    }

    /** " (line N)" of the value at {@code steps}, or "" when it cannot be found (or there is no text: a tree). */
    private static String where(String yaml, List<Object> steps) {
        return yaml == null ? "" : YamlLines.lineOf(yaml, steps).stream().mapToObj(n -> " (line " + n + ")").findFirst().orElse("");
    }

    /** spec.lora.targetModules[1] */
    private static String path(List<Object> steps) {
        StringBuilder b = new StringBuilder();
        for (Object step : steps) {
            if (step instanceof Integer index) {
                b.append(index >= 0 ? "[" + index + "]" : "");
            } else {
                b.append(b.isEmpty() ? "" : ".").append(step);
            }
        }
        return b.isEmpty() ? "document" : b.toString();
    }

    private static List<Object> steps(JsonMappingException e) {
        List<Object> steps = new ArrayList<>();
        for (JsonMappingException.Reference r : e.getPath()) {
            steps.add(r.getFieldName() != null ? r.getFieldName() : (Object) r.getIndex());
        }
        return steps;
    }

    private static String expected(Class<?> type) {
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(c -> c.toString().toLowerCase()).collect(Collectors.joining(", "));
        }
        return type.getSimpleName().replace("Integer", "an integer").replace("Long", "an integer")
                .replace("Double", "a number").replace("Boolean", "true or false");
    }

    /** The field a mapping error is about, as spec.lora.rank or spec.env[0].name; "document" when none. */
    public static String fieldPath(JsonMappingException e) {
        return path(e);
    }

    private static String path(JsonMappingException e) {
        return path(steps(e));
    }

    private static String known(Collection<Object> ids) {
        return ids == null ? "" : ids.stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
    }

    private static String location(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 1 ? "" : " (line " + loc.getLineNr() + ")";
    }
}
