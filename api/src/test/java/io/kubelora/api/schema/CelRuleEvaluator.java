package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the CRD's {@code x-kubernetes-validations} the way the API server does: each rule runs once per
 * instance of the object it is attached to, with {@code self} bound to that object, and only where the object
 * is present. Values are typed from the schema (a {@code number} field holding 1 is the double 1.0). The
 * Kubernetes quantity functions come from {@link KubernetesCelLibrary}.
 */
final class CelRuleEvaluator {

    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS) // has(), all(), exists(), ...
            .addVar("self", SimpleType.DYN)
            .addFunctionDeclarations(KubernetesCelLibrary.declarations())
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .addFunctionBindings(KubernetesCelLibrary.bindings())
            .build();

    private final Map<String, CelRuntime.Program> programs = new HashMap<>();

    CelRuleEvaluator(List<CelRule> rules) {
        for (CelRule r : rules) {
            programs.computeIfAbsent(r.rule(), CelRuleEvaluator::compile);
        }
    }

    /** Messages of the rules the document breaks, each prefixed by where the object sits. */
    List<String> violations(JsonNode schema, JsonNode document) {
        List<String> found = new ArrayList<>();
        walk(schema, document, "", found);
        return found;
    }

    private void walk(JsonNode schema, JsonNode value, String path, List<String> found) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return;
        }
        for (JsonNode v : schema.path("x-kubernetes-validations")) {
            String rule = v.path("rule").asText();
            if (!evaluate(rule, toCel(schema, value), path)) {
                found.add((path.isEmpty() ? "<root>" : path) + ": " + v.path("message").asText(rule));
            }
        }
        if (value.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode fieldSchema = schema.path("properties").path(field.getKey());
                if (fieldSchema.isMissingNode()) {
                    fieldSchema = schema.path("additionalProperties");
                }
                walk(fieldSchema, field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey(),
                        found);
            }
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                walk(schema.path("items"), value.get(i), path + "[" + i + "]", found);
            }
        }
    }

    private boolean evaluate(String rule, Object self, String path) {
        try {
            Object result = programs.get(rule).eval(Map.of("self", self));
            if (result instanceof Boolean b) {
                return b;
            }
            throw new IllegalStateException("rule at " + path + " returned " + result + ", not a bool: " + rule);
        } catch (CelEvaluationException e) {
            // The API server reports an evaluation error as a failed validation.
            return false;
        }
    }

    private static CelRuntime.Program compile(String rule) {
        try {
            CelAbstractSyntaxTree ast = COMPILER.compile(rule).getAst();
            return RUNTIME.createProgram(ast);
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException("CEL rule does not compile: " + rule + ": " + e.getMessage(), e);
        }
    }

    /** A JSON value as the CEL value the API server would bind, typed by its schema. */
    static Object toCel(JsonNode schema, JsonNode value) {
        if (value.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            value.fields().forEachRemaining(f -> {
                JsonNode fieldSchema = schema.path("properties").path(f.getKey());
                map.put(f.getKey(), toCel(fieldSchema.isMissingNode() ? schema.path("additionalProperties")
                        : fieldSchema, f.getValue()));
            });
            return map;
        }
        if (value.isArray()) {
            List<Object> list = new ArrayList<>();
            value.forEach(item -> list.add(toCel(schema.path("items"), item)));
            return list;
        }
        if (value.isNumber()) {
            boolean isDouble = "number".equals(schema.path("type").asText()) || value.isFloatingPointNumber();
            return isDouble ? (Object) value.doubleValue() : (Object) value.longValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        return value.asText();
    }
}
