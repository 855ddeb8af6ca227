package io.kubelora.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.Phase;
import io.kubelora.api.SpecLimits;
import io.kubelora.operator.status.Conditions;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Specs that must not run: each is Failed naming the field, with an Event, and gets no ConfigMap or Job. */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LoraFineTuneCrd.class)
class InvalidSpecTest extends OperatorTestSupport {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final String VALID = """
            apiVersion: kubelora.io/v1alpha1
            kind: LoraFineTune
            metadata:
              namespace: test
            spec:
              baseModel: {uri: "hf://meta-llama/Llama-3.2-1B"}
              dataset: {uri: "s3://data/alpaca.jsonl"}
              output: {uri: "s3://results/run"}
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "spec.lora.rank                         | {lora: {rank: 0}}",
        "spec.lora.alpha                        | {lora: {alpha: 0}}",
        "spec.lora.dropout                      | {lora: {dropout: 0.95}}",
        "spec.lora.targetModules[0]             | {lora: {targetModules: [attn]}}",
        "spec.lora.targetModules[1]             | {lora: {targetModules: [q_proj, q_proj]}}",
        "spec.lora.targetModules                | {lora: {targetModules: [all-linear, q_proj]}}",
        "spec.training.learningRate             | {training: {learningRate: 0.0}}",
        "spec.training.batchSize                | {training: {batchSize: 0}}",
        "spec.training.epochs                   | {training: {epochs: 0}}",
        "spec.training.evalEverySteps           | {training: {evalEverySteps: 50}}",
        "spec.quantizationConfig                | {quantization: none, quantizationConfig: {doubleQuant: false}}",
        "spec.merge.output.uri                  | {merge: {enabled: true}}",
        "spec.merge.maxShardSize                | {merge: {maxShardSize: 5 GB}}",
        "spec.resources.gpus                    | {resources: {gpus: 17}}",
        "spec.resources.gpuResourceName         | {resources: {gpuResourceName: gpu}}",
        "spec.resources.memory                  | {resources: {memory: '-1Gi'}}",
        "spec.baseModel.uri                     | {baseModel: {uri: 'ftp://mirror/llama'}}",
        "spec.output.uri                        | {output: {uri: 's3:///no-bucket'}}",
        "spec.dataset.uri                       | {dataset: {uri: /data/alpaca.jsonl}}",
        "spec.output.uri                        | {output: {uri: 'file:///out'}}",
        "spec.dataset.validationSplit           | {dataset: {validationSplit: 0.6}}",
        "spec.dataset.maxSeqLength              | {dataset: {maxSeqLength: 8}}",
        "spec.backoffLimit                      | {backoffLimit: -1}",
        "spec.credentials.huggingFaceToken.key  | {credentials: {huggingFaceToken: {name: hf}}}",
        "spec.serviceAccountName                | {serviceAccountName: Trainer_SA}"})
    void invalidSpecFailsWithoutJob(String field, String override) throws Exception {
        LoraFineTune run = load(override, "invalid-" + SEQUENCE.incrementAndGet());
        assertFailedNaming(create(run).getMetadata().getName(), field);
    }

    @Test
    void tooLongNameForAJobFails() throws Exception {
        assertFailedNaming(create(load("{}", "n".repeat(64))).getMetadata().getName(), "metadata.name");
    }

    /** The size bounds of the CRD, which an old or validation-less API server may not have enforced. */
    @Test
    void oversizeFieldsFailNamingTheField() throws Exception {
        Map<String, String> oversize = Map.of(
                "spec.image", "{image: 'registry.example/" + "a".repeat(SpecLimits.IMAGE_LENGTH) + "'}",
                "spec.resources.nodeSelector", "{resources: {nodeSelector: {" + IntStream.rangeClosed(0,
                        SpecLimits.NODE_SELECTOR_ENTRIES).mapToObj(i -> "l" + i + ": x").collect(Collectors.joining(", "))
                        + "}}}",
                "spec.output.uri", "{output: {uri: 's3://results/" + "a".repeat(SpecLimits.URI_LENGTH) + "'}}");
        for (Map.Entry<String, String> field : oversize.entrySet()) {
            LoraFineTune run = load(field.getValue(), "oversize-" + SEQUENCE.incrementAndGet());
            assertFailedNaming(create(run).getMetadata().getName(), field.getKey());
        }
    }

    @Test
    void fixingTheSpecStartsTheRun() throws Exception {
        String name = create(load("{lora: {rank: 0}}", "fixed")).getMetadata().getName();
        assertFailedNaming(name, "spec.lora.rank");
        client.resources(LoraFineTune.class).inNamespace(Runs.NAMESPACE).withName(name).edit(r -> {
            r.setSpec(Runs.minimal(name).getSpec());
            return r;
        });
        awaitJob(name);
        LoraFineTuneStatus status = awaitStatus(name, s -> s.phase() == Phase.Pending);
        assertEquals("True", Conditions.find(status.conditions(), Conditions.VALIDATED).getStatus());
    }

    private void assertFailedNaming(String name, String field) {
        LoraFineTuneStatus status = awaitStatus(name, s -> s.phase() == Phase.Failed);
        assertTrue(status.message().contains(field + ":"), status.message());
        Condition validated = Conditions.find(status.conditions(), Conditions.VALIDATED);
        assertEquals("False", validated.getStatus());
        assertTrue(validated.getMessage().contains(field + ":"), validated.getMessage());
        assertEquals("True", Conditions.find(status.conditions(), Conditions.STALLED).getStatus());
        Event event = awaitEvent(name, "InvalidSpec");
        assertEquals("Warning", event.getType());
        assertTrue(event.getMessage().contains(field), event.getMessage());
        assertNull(job(name), "no Job for an invalid spec");
        assertNull(configMap(name), "no ConfigMap for an invalid spec");
        assertNull(status.jobName());
    }

    /** The valid document with the override merged into its spec, as a user would apply it. */
    private static LoraFineTune load(String override, String name) throws Exception {
        ObjectNode doc = (ObjectNode) YAML.readTree(VALID);
        ((ObjectNode) doc.get("metadata")).put("name", name);
        merge((ObjectNode) doc.get("spec"), YAML.readTree(override));
        return YAML.treeToValue(doc, LoraFineTune.class);
    }

    private static void merge(ObjectNode into, JsonNode from) {
        Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            if (e.getValue().isObject() && into.get(e.getKey()) instanceof ObjectNode child) {
                merge(child, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }
}
