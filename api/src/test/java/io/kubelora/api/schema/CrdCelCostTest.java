package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubelora.api.docs.FieldReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a real API server checks when a CRD is created and neither the mock API server nor the in-process CEL
 * evaluator can: it estimates the worst-case cost of every x-kubernetes-validations rule from the schema's size
 * bounds and refuses the CRD ("estimated rule cost exceeds budget ... try adding maxItems, maxProperties, and
 * maxLength") when a rule may cost more than its limit; helm install then fails at the CRD. Checked for every CRD
 * the project ships ({@link ShippedCrds}), with a conservative estimate ({@link CelCostEstimator}):
 * <ul>
 *   <li>every string, list and map of the spec declares a bound (embedded Kubernetes types, listed in
 *       {@link FieldReference#KUBERNETES_TYPES}, may stay as Kubernetes defines them), and so does everything a
 *       rule reads, embedded or not;</li>
 *   <li>no rule iterates inside an iteration;</li>
 *   <li>each rule, times the number of times it can run in one resource, costs at most PerCallLimit = 1,000,000
 *       (k8s.io/apiserver/pkg/apis/cel, the runtime limit of one evaluation; stricter than the
 *       StaticEstimatedCostLimit of 10,000,000 the API server applies per rule when the CRD is created), and all
 *       rules of a CRD together at most StaticEstimatedCRDCostLimit = 100,000,000
 *       (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation).</li>
 * </ul>
 */
class CrdCelCostTest {

    static final long PER_RULE_LIMIT = 1_000_000;
    static final long PER_CRD_LIMIT = 100_000_000;

    /** One rule where it sits in a schema. */
    private record Rule(String path, String expression, JsonNode self, long cardinality) {
    }

    static List<ShippedCrds.Version> versions() {
        return ShippedCrds.versions();
    }

    static List<Path> files() {
        return ShippedCrds.files();
    }

    @Test
    void findsTheCrdInCrdsAndInTheChart() {
        List<String> names = files().stream().map(f -> f.getParent().getFileName() + "/" + f.getFileName()).toList();
        assertTrue(names.contains("crds/lorafinetunes.kubelora.io-v1.yml"), names.toString());
        assertTrue(files().stream().anyMatch(f -> f.toString().contains("charts")), names.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void everyStringListAndMapOfTheSpecIsBounded(ShippedCrds.Version version) {
        List<String> unbounded = new ArrayList<>();
        JsonNode spec = version.openApiSchema().path("properties").path("spec");
        for (SchemaTree.Node node : SchemaTree.nodes(spec, "spec", 1)) {
            if (!FieldReference.insideKubernetesType(node.path()) && !SchemaSizes.declaresBound(node.schema())) {
                unbounded.add(node.path() + " has no " + missingBound(node.schema()));
            }
        }
        assertEquals(List.of(), unbounded, version + ": unbounded fields of the spec");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void everythingARuleReadsIsBounded(ShippedCrds.Version version) {
        List<String> unbounded = new ArrayList<>();
        for (Rule rule : rules(version.openApiSchema())) {
            for (Map.Entry<String, JsonNode> read : estimate(rule).reads().entrySet()) {
                for (SchemaTree.Node node : SchemaTree.nodes(read.getValue(), read.getKey(), 1)) {
                    if (!SchemaSizes.declaresBound(node.schema())) {
                        unbounded.add(rule.path() + ": the rule reads " + node.path() + ", which has no "
                                + missingBound(node.schema()) + ": " + rule.expression());
                    }
                }
            }
        }
        assertEquals(List.of(), unbounded, version + ": rules read unbounded data");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void noRuleIteratesInsideAnIteration(ShippedCrds.Version version) {
        List<String> nested = rules(version.openApiSchema()).stream().filter(r -> estimate(r).nestedIteration())
                .map(r -> r.path() + ": " + r.expression()).toList();
        assertEquals(List.of(), nested, version + ": rules with an iteration inside an iteration");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void everyRuleCostsLessThanThePerCallLimit(ShippedCrds.Version version) {
        List<String> tooExpensive = new ArrayList<>();
        for (Rule rule : rules(version.openApiSchema())) {
            long cost = SchemaSizes.times(estimate(rule).cost(), rule.cardinality());
            if (cost > PER_RULE_LIMIT) {
                tooExpensive.add(rule.path() + ": " + describe(cost) + " (" + describe(rule.cardinality())
                        + " evaluations): " + rule.expression());
            }
        }
        assertEquals(List.of(), tooExpensive, version + ": rules over the per-rule limit of " + PER_RULE_LIMIT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void allRulesOfACrdCostLessThanTheCrdLimit(Path file) {
        long total = 0;
        for (JsonNode crd : ShippedCrds.documents(file)) {
            for (JsonNode version : crd.path("spec").path("versions")) {
                for (Rule rule : rules(version.path("schema").path("openAPIV3Schema"))) {
                    total = SchemaSizes.plus(total, SchemaSizes.times(estimate(rule).cost(), rule.cardinality()));
                }
            }
        }
        assertTrue(total <= PER_CRD_LIMIT, file + ": the rules cost " + describe(total) + " together, more than "
                + PER_CRD_LIMIT);
    }

    /** The estimate follows the cost model on rules whose cost is worked out by hand. */
    @Test
    void estimateFollowsTheCostModel() {
        JsonNode unboundedList = CrdValidator.parse("{type: array, items: {type: string}}");
        JsonNode boundedList = CrdValidator.parse("{type: array, maxItems: 8, items: {type: string, maxLength: 32}}");
        // The old duplicate check: about a million items squared; the API server refuses it (> 10,000,000).
        CelCostEstimator.Estimate quadratic =
                CelCostEstimator.estimate("self.all(m, self.exists_one(x, x == m))", unboundedList);
        assertTrue(quadratic.cost() > 10_000_000, describe(quadratic.cost()));
        assertTrue(quadratic.nestedIteration());
        // all(): self (1) + per item [condition: @not_strictly_false(result) 2, step: result && m.startsWith('a')
        // = 1 + (m 1 + 'a' 0 + 0.1 x 1 byte rounded up 1 + call 1)] x 8 items + result (1) = 1 + 6 x 8 + 1.
        CelCostEstimator.Estimate linear = CelCostEstimator.estimate("self.all(m, m.startsWith('a'))", boundedList);
        assertEquals(50, linear.cost());
        assertEquals(Set.of("self", "self[]"), linear.reads().keySet());
        assertTrue(!linear.nestedIteration());
        // The same over about a million items: over the per-call limit, not a crash.
        assertTrue(CelCostEstimator.estimate("self.all(m, m.startsWith('a'))", unboundedList).cost() > PER_RULE_LIMIT);
        // has() tests presence and reads nothing.
        JsonNode object = CrdValidator.parse("{type: object, properties: {s: {type: string}}}");
        assertEquals(Map.of(), CelCostEstimator.estimate("has(self.s)", object).reads());
    }

    private static List<Rule> rules(JsonNode openApiSchema) {
        List<Rule> rules = new ArrayList<>();
        for (SchemaTree.Node node : SchemaTree.nodes(openApiSchema, "", 1)) {
            for (JsonNode validation : node.schema().path("x-kubernetes-validations")) {
                String where = node.path().isEmpty() ? "<root>" : node.path();
                rules.add(new Rule(where, validation.path("rule").asText(), node.schema(), node.cardinality()));
                if (validation.has("messageExpression")) {
                    rules.add(new Rule(where + " (message)", validation.get("messageExpression").asText(),
                            node.schema(), node.cardinality()));
                }
            }
        }
        return rules;
    }

    private static CelCostEstimator.Estimate estimate(Rule rule) {
        return CelCostEstimator.estimate(rule.expression(), rule.self());
    }

    private static String missingBound(JsonNode schema) {
        if (SchemaSizes.isArray(schema)) {
            return "maxItems";
        }
        return SchemaSizes.isMap(schema) ? "maxProperties" : "maxLength";
    }

    private static String describe(long n) {
        return n == SchemaSizes.UNBOUNDED ? "unbounded" : String.format("%,d", n);
    }
}
