package io.kubelora.api.schema;

import static io.kubelora.api.schema.SchemaSizes.UNBOUNDED;
import static io.kubelora.api.schema.SchemaSizes.plus;
import static io.kubelora.api.schema.SchemaSizes.times;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelExpr.CelCall;
import dev.cel.common.ast.CelExpr.CelComprehension;
import dev.cel.common.ast.CelExpr.CelSelect;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A conservative estimate of the worst-case cost the API server computes for an x-kubernetes-validations rule
 * when a CRD is created, and what the rule reads.
 *
 * <p>The model is cel-go's static estimator (checker/cost.go), which the API server runs with the Kubernetes
 * library costs (k8s.io/apiserver/pkg/cel/library/cost.go) and schema sizes ({@link SchemaSizes}): reading a
 * variable or field costs 1, a call 1 plus its arguments, comparing or scanning text 0.1 per byte of the shorter
 * or scanned operand, a regex match 0.1 per byte times 0.25 per regex character, {@code x in list} one per item,
 * and a comprehension ({@code all}, {@code exists}, ...) its range's size times the cost of one step. Where a
 * choice is open this estimate takes the larger cost: {@code has()} costs 1 (the API server: 0), int-or-string
 * values are as long as a request, and a function without a model here is an error, never a guess.
 */
final class CelCostEstimator {

    /** The result: the rule's cost for one evaluation, what it reads (path below self, schema), and nesting. */
    record Estimate(long cost, Map<String, JsonNode> reads, boolean nestedIteration) {
    }

    /** An expression's cost, the largest size of its value, and the schema node it reads (or null). */
    private record Value(long cost, long size, JsonNode schema, String path) {

        static Value of(long cost, long size) {
            return new Value(cost, size, null, null);
        }
    }

    private static final double STRING_TRAVERSAL = 0.1; // cel-go common.StringTraversalCostFactor
    private static final double REGEX_LENGTH = 0.25;    // cel-go common.RegexStringLengthCostFactor
    private static final long LIST_CREATE = 10;
    private static final long MAP_CREATE = 30;
    private static final long STRUCT_CREATE = 40;

    /** Text functions whose result is as long as their input. */
    private static final Set<String> SAME_SIZE_RESULT = Set.of("lowerAscii", "upperAscii", "trim", "string");

    private static final CelCompiler PARSER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .build();

    private final Map<String, JsonNode> reads = new TreeMap<>();
    private int loopDepth;
    private boolean nested;

    private CelCostEstimator() {
    }

    /** Estimates a rule attached to the schema node {@code self}. */
    static Estimate estimate(String rule, JsonNode self) {
        CelExpr expr;
        try {
            expr = PARSER.parse(rule).getAst().getExpr();
        } catch (CelValidationException e) {
            throw new IllegalArgumentException("CEL rule does not parse: " + rule, e);
        }
        CelCostEstimator estimator = new CelCostEstimator();
        Map<String, Value> vars = Map.of("self", new Value(0, SchemaSizes.maxSize(self), self, "self"));
        Value value = estimator.read(expr, vars);
        return new Estimate(value.cost(), estimator.reads, estimator.nested);
    }

    /** Evaluates an expression whose value is used: a schema node it yields is read. */
    private Value read(CelExpr e, Map<String, Value> vars) {
        Value v = eval(e, vars);
        if (v.schema() != null) {
            reads.put(v.path(), v.schema());
        }
        return v;
    }

    private Value eval(CelExpr e, Map<String, Value> vars) {
        return switch (e.getKind()) {
            case CONSTANT -> Value.of(0, constantSize(e.constant()));
            case IDENT -> {
                Value var = vars.get(e.ident().name());
                yield var == null ? Value.of(1, 1) : new Value(1, var.size(), var.schema(), var.path());
            }
            case SELECT -> select(e.select(), vars);
            case CALL -> call(e.call(), vars);
            case LIST -> {
                long cost = LIST_CREATE;
                for (CelExpr element : e.list().elements()) {
                    cost = plus(cost, read(element, vars).cost());
                }
                yield Value.of(cost, e.list().elements().size());
            }
            case MAP -> {
                long cost = MAP_CREATE;
                for (CelExpr.CelMap.Entry entry : e.map().entries()) {
                    cost = plus(cost, plus(read(entry.key(), vars).cost(), read(entry.value(), vars).cost()));
                }
                yield Value.of(cost, e.map().entries().size());
            }
            case STRUCT -> {
                long cost = STRUCT_CREATE;
                for (CelExpr.CelStruct.Entry entry : e.struct().entries()) {
                    cost = plus(cost, read(entry.value(), vars).cost());
                }
                yield Value.of(cost, UNBOUNDED);
            }
            case COMPREHENSION -> comprehension(e.comprehension(), vars);
            default -> throw new IllegalArgumentException("unsupported CEL expression " + e);
        };
    }

    private Value select(CelSelect select, Map<String, Value> vars) {
        Value operand = eval(select.operand(), vars); // an object passed through is not read as a whole
        if (select.testOnly()) {
            return Value.of(plus(operand.cost(), 1), 1); // has(): 0 in the API server
        }
        JsonNode field = operand.schema() == null ? null : operand.schema().path("properties").path(select.field());
        if (field == null || field.isMissingNode()) {
            return Value.of(plus(operand.cost(), 1), UNBOUNDED);
        }
        return new Value(plus(operand.cost(), 1), SchemaSizes.maxSize(field), field,
                operand.path() + "." + select.field());
    }

    private Value comprehension(CelComprehension c, Map<String, Value> vars) {
        if (loopDepth > 0) {
            nested = true;
        }
        Value range = read(c.iterRange(), vars);
        Value init = read(c.accuInit(), vars);
        Map<String, Value> inner = new HashMap<>(vars);
        inner.put(c.iterVar(), element(range));
        inner.put(c.accuVar(), Value.of(0, init.size() == 0 ? range.size() : init.size()));
        loopDepth++;
        long step = plus(read(c.loopCondition(), inner).cost(), read(c.loopStep(), inner).cost());
        loopDepth--;
        Value result = read(c.result(), inner);
        long cost = plus(plus(range.cost(), init.cost()), plus(times(range.size(), step), result.cost()));
        return Value.of(cost, result.size());
    }

    /** The iteration variable: an item of a list, or a key of a map (whose length no schema bounds). */
    private static Value element(Value range) {
        JsonNode schema = range.schema();
        if (schema != null && SchemaSizes.isArray(schema)) {
            JsonNode items = schema.get("items");
            return new Value(0, SchemaSizes.maxSize(items), items, range.path() + "[]");
        }
        return Value.of(0, UNBOUNDED);
    }

    private Value call(CelCall call, Map<String, Value> vars) {
        String function = call.function();
        List<Value> args = new ArrayList<>();
        Value target = call.target().isPresent() ? read(call.target().get(), vars) : null;
        for (CelExpr arg : call.args()) {
            args.add(read(arg, vars));
        }
        long base = target == null ? 0 : target.cost();
        for (Value arg : args) {
            base = plus(base, arg.cost());
        }
        Value subject = target != null ? target : args.isEmpty() ? Value.of(0, 1) : args.get(0);
        return switch (function) {
            case "_&&_", "_||_" -> Value.of(base, 1);
            case "_?_:_" -> Value.of(plus(args.get(0).cost(), Math.max(args.get(1).cost(), args.get(2).cost())),
                    Math.max(args.get(1).size(), args.get(2).size()));
            case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_" ->
                    Value.of(plus(base, Math.max(1, traverse(Math.min(args.get(0).size(), args.get(1).size())))), 1);
            case "@in" -> Value.of(plus(base, Math.max(1, args.get(1).size())), 1);
            case "startsWith", "endsWith" -> Value.of(plus(base, plus(traverse(args.get(0).size()), 1)), 1);
            case "contains" -> Value.of(plus(base, plus(times(traverse(target.size()), traverse(args.get(0).size())), 1)), 1);
            case "matches" -> {
                Value text = target != null ? target : args.get(0);
                Value regex = args.get(args.size() - 1);
                long cost = times(traverse(plus(text.size(), 1)), scale(regex.size(), REGEX_LENGTH));
                yield Value.of(plus(base, plus(cost, 1)), 1);
            }
            case "_+_" -> {
                long size = plus(args.get(0).size(), args.get(1).size());
                yield Value.of(plus(base, plus(traverse(size), 1)), size);
            }
            // One pass over the text: parsers and case conversions (library/cost.go).
            case "isQuantity", "quantity", "url", "isURL", "isIP", "isCIDR", "ip", "cidr",
                 "lowerAscii", "upperAscii", "trim", "string", "int", "uint", "double", "bytes" ->
                    Value.of(plus(base, plus(traverse(subject.size()), 1)),
                            SAME_SIZE_RESULT.contains(function) ? subject.size() : 1);
            case "replace", "split" -> Value.of(plus(base, plus(scale(subject.size(), 2 * STRING_TRAVERSAL), 1)),
                    UNBOUNDED);
            case "size", "type", "dyn", "bool", "duration", "timestamp", "!_", "-_", "_-_", "_*_", "_/_", "_%_",
                 "@not_strictly_false", "sign", "asInteger", "isInteger", "asApproximateFloat", "isGreaterThan",
                 "isLessThan", "compareTo", "add", "sub" -> Value.of(plus(base, 1), 1);
            case "_[_]" -> index(base, args.get(0));
            default -> throw new IllegalArgumentException("no cost model for the CEL function '" + function
                    + "': add it to " + CelCostEstimator.class.getSimpleName()
                    + " from k8s.io/apiserver/pkg/cel/library/cost.go");
        };
    }

    /** list[i] or map[key]: one item or value of the container. */
    private static Value index(long base, Value container) {
        JsonNode schema = container.schema();
        if (schema != null && SchemaSizes.isArray(schema)) {
            JsonNode items = schema.get("items");
            return new Value(plus(base, 1), SchemaSizes.maxSize(items), items, container.path() + "[]");
        }
        if (schema != null && SchemaSizes.isMap(schema)) {
            JsonNode values = schema.get("additionalProperties");
            return new Value(plus(base, 1), SchemaSizes.maxSize(values), values, container.path() + "{}");
        }
        return Value.of(plus(base, 1), UNBOUNDED);
    }

    private static long constantSize(CelConstant constant) {
        return switch (constant.getKind()) {
            case STRING_VALUE -> constant.stringValue().codePointCount(0, constant.stringValue().length());
            case BYTES_VALUE -> constant.bytesValue().size();
            default -> 1;
        };
    }

    /** The cost of scanning text of this many bytes. */
    private static long traverse(long size) {
        return scale(size, STRING_TRAVERSAL);
    }

    private static long scale(long size, double factor) {
        return size == UNBOUNDED ? UNBOUNDED : (long) Math.ceil(size * factor);
    }
}
