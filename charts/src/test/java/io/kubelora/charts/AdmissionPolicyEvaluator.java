package io.kubelora.charts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A ValidatingAdmissionPolicy and its binding evaluated as the API server's admission plugin does
 * (k8s.io/apiserver/pkg/admission/plugin/policy/validating): the request must match the policy's resource rules
 * and every matchCondition (which see object, oldObject, request and namespaceObject, not params); the binding's
 * paramRef selects the params (FineTunePolicies) of the request's namespace, and with none
 * parameterNotFoundAction decides; otherwise every validation runs once per param, with the variables (which may
 * read params and earlier variables) in scope as {@code variables}. A validation that is false denies with its
 * messageExpression (its message, or "failed expression: ..." when that fails); one whose evaluation fails denies
 * under failurePolicy Fail. The CEL environment has the standard macros and the strings extension
 * ({@code join}) that Kubernetes offers.
 */
final class AdmissionPolicyEvaluator {

    private static final List<String> VARIABLES = List.of("object", "oldObject", "params", "request",
            "namespaceObject", "variables");
    private static final CelCompiler COMPILER = compiler();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .addLibraries(CelExtensions.strings()).build();

    /** One entry of spec.validations, numbered in order. */
    record Validation(int index, String expression, String messageExpression, String message) {
    }

    /** A denial: which validation (-1: none, the params were missing) and the message the user sees. */
    record Denial(int validation, String message) {
    }

    private final JsonNode policy;
    private final JsonNode binding;
    private final Map<String, CelRuntime.Program> programs = new HashMap<>();

    AdmissionPolicyEvaluator(JsonNode policy, JsonNode binding) {
        if (!policy.at("/metadata/name").asText().equals(binding.at("/spec/policyName").asText())) {
            throw new IllegalArgumentException("the binding does not bind this policy");
        }
        this.policy = policy;
        this.binding = binding;
    }

    List<Validation> validations() {
        List<Validation> list = new ArrayList<>();
        JsonNode validations = policy.at("/spec/validations");
        for (int i = 0; i < validations.size(); i++) {
            JsonNode v = validations.get(i);
            list.add(new Validation(i, v.path("expression").asText(), v.path("messageExpression").asText(null),
                    v.path("message").asText(null)));
        }
        return list;
    }

    /**
     * The denials of a request on a namespaced resource.
     *
     * @param params every object of the paramKind in the request's namespace
     */
    List<Denial> review(String operation, JsonNode object, JsonNode oldObject, List<JsonNode> params) {
        String namespace = object.at("/metadata/namespace").asText();
        Map<String, Object> scope = new HashMap<>();
        scope.put("object", cel(object));
        scope.put("oldObject", oldObject == null ? NullValue.NULL_VALUE : cel(oldObject));
        scope.put("request", Map.of("operation", operation, "namespace", namespace,
                "name", object.at("/metadata/name").asText()));
        scope.put("namespaceObject", Map.of("metadata", Map.of("name", namespace)));
        if (!matches(operation, object) || !matchConditions(scope)) {
            return List.of();
        }
        List<JsonNode> selected = params.stream().filter(p -> p.at("/metadata/namespace").asText(namespace)
                .equals(namespace)).filter(this::selected).sorted(Comparator.comparing(
                        (JsonNode p) -> p.at("/metadata/name").asText())).toList();
        if (selected.isEmpty()) {
            return "Allow".equals(binding.at("/spec/paramRef/parameterNotFoundAction").asText()) ? List.of()
                    : List.of(new Denial(-1, "no params found for policy binding"));
        }
        List<Denial> denials = new ArrayList<>();
        for (JsonNode param : selected) {
            Map<String, Object> withParams = new HashMap<>(scope);
            withParams.put("params", cel(param));
            withParams.put("variables", variables(withParams));
            for (Validation v : validations()) {
                Object verdict = evaluate(v.expression(), withParams);
                if (verdict instanceof Boolean allowed && allowed) {
                    continue;
                }
                if (verdict instanceof CelEvaluationException e) {
                    denials.add(new Denial(v.index(), "expression '" + v.expression() + "' resulted in error: "
                            + e.getMessage()));
                    continue;
                }
                Object message = v.messageExpression() == null ? null : evaluate(v.messageExpression(), withParams);
                denials.add(new Denial(v.index(), message instanceof String text && !text.isBlank() ? text
                        : v.message() != null ? v.message() : "failed expression: " + v.expression()));
            }
        }
        return denials;
    }

    private boolean matches(String operation, JsonNode object) {
        String group = object.path("apiVersion").asText().split("/")[0];
        for (JsonNode rule : policy.at("/spec/matchConstraints/resourceRules")) {
            if (contains(rule.path("apiGroups"), group) && contains(rule.path("operations"), operation)
                    && contains(rule.path("resources"), "lorafinetunes")) {
                return true;
            }
        }
        return false;
    }

    private boolean matchConditions(Map<String, Object> scope) {
        for (JsonNode condition : policy.at("/spec/matchConditions")) {
            if (!Boolean.TRUE.equals(evaluate(condition.path("expression").asText(), scope))) {
                return false;
            }
        }
        return true;
    }

    /** Only an empty selector (every param) or matchLabels are modelled: what a chart could bind. */
    private boolean selected(JsonNode param) {
        JsonNode paramRef = binding.at("/spec/paramRef");
        if (paramRef.has("name")) {
            return paramRef.path("name").asText().equals(param.at("/metadata/name").asText());
        }
        JsonNode selector = paramRef.path("selector");
        if (selector.has("matchExpressions")) {
            throw new UnsupportedOperationException("matchExpressions are not modelled: " + selector);
        }
        for (var label : (Iterable<Map.Entry<String, JsonNode>>) () -> selector.path("matchLabels").fields()) {
            if (!label.getValue().asText().equals(param.at("/metadata/labels").path(label.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Object> variables(Map<String, Object> scope) {
        Map<String, Object> variables = new LinkedHashMap<>();
        Map<String, Object> inScope = new HashMap<>(scope);
        inScope.put("variables", variables);
        for (JsonNode variable : policy.at("/spec/variables")) {
            Object value = evaluate(variable.path("expression").asText(), inScope);
            if (value instanceof CelEvaluationException e) {
                throw new IllegalStateException("variable " + variable.path("name").asText() + " fails: "
                        + e.getMessage(), e);
            }
            variables.put(variable.path("name").asText(), value);
        }
        return variables;
    }

    /** The value, or the evaluation's exception (the API server's error). */
    private Object evaluate(String expression, Map<String, Object> scope) {
        try {
            return programs.computeIfAbsent(expression, AdmissionPolicyEvaluator::compile).eval(scope);
        } catch (CelEvaluationException e) {
            return e;
        }
    }

    private static CelRuntime.Program compile(String expression) {
        try {
            return RUNTIME.createProgram(COMPILER.compile(expression).getAst());
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException("does not compile: " + expression + ": " + e.getMessage(), e);
        }
    }

    private static CelCompiler compiler() {
        var builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addLibraries(CelExtensions.strings());
        VARIABLES.forEach(name -> builder.addVar(name, SimpleType.DYN));
        return builder.build();
    }

    private static boolean contains(JsonNode list, String value) {
        for (JsonNode item : list) {
            if (item.asText().equals(value) || item.asText().equals("*")) {
                return true;
            }
        }
        return false;
    }

    /** A JSON value as the API server binds it: objects as maps, integers as int, fractions as double. */
    static Object cel(JsonNode value) {
        if (value.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            value.fields().forEachRemaining(f -> map.put(f.getKey(), cel(f.getValue())));
            return map;
        }
        if (value.isArray()) {
            List<Object> list = new ArrayList<>();
            value.forEach(item -> list.add(cel(item)));
            return list;
        }
        if (value.isIntegralNumber()) {
            return value.longValue();
        }
        if (value.isNumber()) {
            return value.doubleValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        return value.isNull() ? NullValue.NULL_VALUE : value.asText();
    }
}
