package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubelora.api.docs.FieldReference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every size bound of the CRD's spec (maxLength, maxItems, maxProperties) is enforced the same way by the Java
 * side (the trainer's YAML reader and the operator's validation): a value one past the bound is rejected by
 * both, and the Java error names the field. The table is checked against the bounds found in the CRD, so a bound
 * added to the model without a case here fails {@link #everyBoundOfTheCrdHasACase()}.
 */
class SizeLimitsTest {

    private static final CrdSchema CRD = CrdSchema.load();
    private static final CrdValidator VALIDATOR = new CrdValidator(CRD);
    private static final Map<String, String> OVERSIZE = new LinkedHashMap<>();
    /** Values exactly at a bound, for fields where a valid one can be written. */
    private static final Map<String, String> AT_THE_BOUND = Map.of(
            "spec.baseModel.uri", "baseModel: {uri: 's3://bucket/" + "a".repeat(4096 - 12) + "'}",
            "spec.image", "image: 'registry.example/" + "a".repeat(1024 - 17) + "'",
            "spec.resources.memory", "resources: {memory: '" + "1".repeat(62) + "Gi'}",
            "spec.resources.nodeSelector", "resources: {nodeSelector: {" + IntStream.range(0, 64)
                    .mapToObj(i -> "label" + i + ": x").collect(Collectors.joining(", ")) + "}}",
            "spec.lora.targetModules", "lora: {targetModules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
                    + "down_proj]}");

    static {
        String uri = "'s3://bucket/" + "a".repeat(4096) + "'";
        OVERSIZE.put("spec.baseModel.uri", "baseModel: {uri: " + uri + "}");
        OVERSIZE.put("spec.dataset.uri", "dataset: {uri: " + uri + "}");
        OVERSIZE.put("spec.output.uri", "output: {uri: " + uri + "}");
        OVERSIZE.put("spec.dataset.validationUri", "dataset: {validationUri: " + uri + "}");
        OVERSIZE.put("spec.evaluation.prompts", "evaluation: {prompts: [" + IntStream.range(0, 33)
                .mapToObj(i -> "p" + i).collect(Collectors.joining(", ")) + "]}");
        OVERSIZE.put("spec.merge.output.uri", "merge: {output: {uri: " + uri + "}}");
        OVERSIZE.put("spec.merge.maxShardSize", "merge: {maxShardSize: '" + "1".repeat(63) + "GB'}");
        OVERSIZE.put("spec.lora.targetModules", "lora: {targetModules: [q_proj, k_proj, v_proj, o_proj, gate_proj, "
                + "up_proj, down_proj, all-linear, lm_head]}");
        OVERSIZE.put("spec.lora.targetModules[]", "lora: {targetModules: [" + "q".repeat(33) + "]}");
        OVERSIZE.put("spec.image", "image: 'registry.example/" + "a".repeat(1024) + "'");
        OVERSIZE.put("spec.serviceAccountName", "serviceAccountName: " + "a".repeat(254));
        OVERSIZE.put("spec.credentials.storageSecretName", "credentials: {storageSecretName: " + "a".repeat(254) + "}");
        OVERSIZE.put("spec.resources.gpuResourceName", "resources: {gpuResourceName: " + "a".repeat(314) + "/gpu}");
        OVERSIZE.put("spec.resources.memory", "resources: {memory: '" + "1".repeat(63) + "Gi'}");
        OVERSIZE.put("spec.resources.cpu", "resources: {cpu: '" + "1".repeat(64) + "m'}");
        OVERSIZE.put("spec.resources.ephemeralStorage", "resources: {ephemeralStorage: '" + "1".repeat(63) + "Gi'}");
        OVERSIZE.put("spec.resources.modelCacheClaimName", "resources: {modelCacheClaimName: " + "a".repeat(254)
                + "}");
        OVERSIZE.put("spec.resources.nodeSelector", "resources: {nodeSelector: {" + IntStream.range(0, 65)
                .mapToObj(i -> "label" + i + ": x").collect(Collectors.joining(", ")) + "}}");
        OVERSIZE.put("spec.resources.nodeSelector{}", "resources: {nodeSelector: {pool: " + "a".repeat(64) + "}}");
        OVERSIZE.put("spec.resources.priorityClassName", "resources: {priorityClassName: " + "a".repeat(254) + "}");
        OVERSIZE.put("spec.resources.tolerations", "resources: {tolerations: [" + IntStream.range(0, 65)
                .mapToObj(i -> "{key: k" + i + ", operator: Exists}").collect(Collectors.joining(", ")) + "]}");
        OVERSIZE.put("spec.env", "env: [" + IntStream.range(0, 65).mapToObj(i -> "{name: V" + i + ", value: x}")
                .collect(Collectors.joining(", ")) + "]");
        OVERSIZE.put("spec.env[].name", "env: [{name: " + "V".repeat(129) + ", value: x}]");
        OVERSIZE.put("spec.env[].value", "env: [{name: V, value: " + "x".repeat(4097) + "}]");
        OVERSIZE.put("spec.profile", "profile: " + "p".repeat(254));
    }

    @Test
    void everyBoundOfTheCrdHasACase() {
        JsonNode spec = CRD.openApiSchema().path("properties").path("spec");
        List<String> bounded = SchemaTree.nodes(spec, "spec", 1).stream()
                .filter(n -> n.schema().has("maxLength") || n.schema().has("maxItems")
                        || n.schema().has("maxProperties"))
                .map(SchemaTree.Node::path)
                .filter(path -> !FieldReference.insideKubernetesType(path))
                .toList();
        assertEquals(new TreeSet<>(OVERSIZE.keySet()), new TreeSet<>(bounded),
                "the bounded fields of the CRD and the cases of this test differ");
    }

    static Stream<Arguments> cases() {
        return OVERSIZE.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void crdAndJavaRejectOnePastTheBound(String path, String oversize) {
        JsonNode document = Documents.withSpec(oversize);
        List<String> crd = VALIDATOR.validate(document);
        assertTrue(crd.stream().anyMatch(m -> m.contains("at most")), "the CRD admits an oversize " + path + ": " + crd);
        String field = path.replaceAll("(\\[]|\\{}).*", ""); // spec.env[].name: any violation of spec.env[i]
        List<String> java = JavaVerdict.of(document);
        assertTrue(java.stream().anyMatch(v -> v.startsWith(field)), "no Java violation names " + field + ": " + java);
    }

    static Stream<Arguments> atTheBound() {
        return AT_THE_BOUND.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("atTheBound")
    void crdAndJavaAdmitTheBoundItself(String path, String atTheBound) {
        JsonNode document = Documents.withSpec(atTheBound);
        assertEquals(List.of(), VALIDATOR.validate(document), "the CRD rejects " + path + " at its bound");
        assertEquals(List.of(), JavaVerdict.of(document), "Java rejects " + path + " at its bound");
    }
}
