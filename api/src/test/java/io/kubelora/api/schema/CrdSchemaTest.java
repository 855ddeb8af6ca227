package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRD's structural schema admits what it should and rejects missing required fields, out-of-range
 * numbers, unknown enum values, wrong types and unknown fields; the Java reader and SpecValidator reach the
 * same verdict on every one of these documents.
 */
class CrdSchemaTest {

    private static final CrdValidator VALIDATOR = CrdValidator.forProjectCrd();

    /** Documents the API server must reject, with a word its message must contain. */
    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("no baseModel", Documents.without("spec.baseModel"), "baseModel"),
                Arguments.of("no dataset", Documents.without("spec.dataset"), "dataset"),
                Arguments.of("no output", Documents.without("spec.output"), "output"),
                Arguments.of("no dataset.uri", Documents.without("spec.dataset.uri"), "uri"),
                Arguments.of("no apiVersion", Documents.without("apiVersion"), "apiVersion"),
                Arguments.of("rank 0", Documents.withSpec("lora: {rank: 0}"), "rank"),
                Arguments.of("rank 1025", Documents.withSpec("lora: {rank: 1025}"), "rank"),
                Arguments.of("alpha 0", Documents.withSpec("lora: {alpha: 0}"), "alpha"),
                Arguments.of("dropout 0.95", Documents.withSpec("lora: {dropout: 0.95}"), "dropout"),
                Arguments.of("validationSplit 0.6", Documents.withSpec("dataset: {validationSplit: 0.6}"),
                        "validationSplit"),
                Arguments.of("maxSeqLength 8", Documents.withSpec("dataset: {maxSeqLength: 8}"), "maxSeqLength"),
                Arguments.of("gpus 17", Documents.withSpec("resources: {gpus: 17}"), "gpus"),
                Arguments.of("cache claim with capitals", Documents.withSpec("resources: {modelCacheClaimName: Models}"),
                        "modelCacheClaimName"),
                Arguments.of("cache claim too long",
                        Documents.withSpec("resources: {modelCacheClaimName: " + "m".repeat(254) + "}"),
                        "modelCacheClaimName"),
                Arguments.of("learningRate 2", Documents.withSpec("training: {learningRate: 2}"), "learningRate"),
                Arguments.of("batchSize 0", Documents.withSpec("training: {batchSize: 0}"), "batchSize"),
                Arguments.of("epochs 1001", Documents.withSpec("training: {epochs: 1001}"), "epochs"),
                Arguments.of("backoffLimit -1", Documents.withSpec("backoffLimit: -1"), "backoffLimit"),
                Arguments.of("empty targetModules", Documents.withSpec("lora: {targetModules: []}"),
                        "targetModules"),
                Arguments.of("quantization int8", Documents.withSpec("quantization: int8"), "quantization"),
                Arguments.of("format csv", Documents.withSpec("dataset: {format: csv}"), "format"),
                Arguments.of("precision fp16", Documents.withSpec("training: {precision: fp16}"), "precision"),
                Arguments.of("merge dtype int4", Documents.withSpec("merge: {dtype: int4}"), "dtype"),
                Arguments.of("lrScheduler step", Documents.withSpec("training: {lrScheduler: step}"),
                        "lrScheduler"),
                Arguments.of("maxShardSize 5 gigs", Documents.withSpec("merge: {maxShardSize: 5 gigs}"),
                        "maxShardSize"),
                Arguments.of("rank as text", Documents.withSpec("lora: {rank: eight}"), "rank"),
                Arguments.of("rank as fraction", Documents.withSpec("lora: {rank: 8.5}"), "rank"),
                Arguments.of("packing as text", Documents.withSpec("dataset: {packing: 'yes'}"), "packing"),
                Arguments.of("targetModules as text", Documents.withSpec("lora: {targetModules: q_proj}"),
                        "targetModules"),
                Arguments.of("baseModel as text", Documents.withSpec("baseModel: hf://org/model"), "baseModel"),
                Arguments.of("unknown lora field", Documents.withSpec("lora: {rnak: 8}"), "rnak"),
                Arguments.of("unknown spec field", Documents.withSpec("epochs: 3"), "epochs"),
                Arguments.of("a target module twice", Documents.withSpec("lora: {targetModules: [q_proj, q_proj]}"),
                        "targetModules"),
                Arguments.of("memory lots", Documents.withSpec("resources: {memory: lots}"), "memory"),
                Arguments.of("memory with a space", Documents.withSpec("resources: {memory: 5 Gi}"), "memory"),
                Arguments.of("memory in GB", Documents.withSpec("resources: {memory: 5GB}"), "memory"),
                Arguments.of("memory 0", Documents.withSpec("resources: {memory: 0}"), "memory"),
                Arguments.of("cpu negative", Documents.withSpec("resources: {cpu: '-1'}"), "cpu"),
                Arguments.of("cpu as text", Documents.withSpec("resources: {cpu: four}"), "cpu"),
                Arguments.of("maxSteps beyond int", Documents.withSpec("training: {maxSteps: 2147483648}"), "maxSteps"),
                Arguments.of("env name with a dash", Documents.withSpec("env: [{name: my-var, value: x}]"), "name"),
                Arguments.of("env without name", Documents.withSpec("env: [{value: x}]"), "name"),
                Arguments.of("env value as number", Documents.withSpec("env: [{name: RETRIES, value: 3}]"), "value"),
                Arguments.of("env HOME", Documents.withSpec("env: [{name: HOME, value: /root}]"), "HOME"),
                Arguments.of("env LD_PRELOAD", Documents.withSpec("env: [{name: LD_PRELOAD, value: /x.so}]"),
                        "LD_"),
                Arguments.of("profile too long", Documents.withSpec("profile: " + "p".repeat(254)), "profile"));
    }

    /** Documents the API server must admit. */
    static Stream<Arguments> admitted() {
        return Stream.of(
                Arguments.of("minimal", Documents.minimal()),
                Arguments.of("rank bounds", Documents.withSpec("lora: {rank: 1024, alpha: 65536, dropout: 0.9}")),
                Arguments.of("every field", Documents.withSpec("""
                        lora: {rank: 64, alpha: 16, dropout: 0.1, targetModules: [q_proj, v_proj], useRslora: true}
                        quantization: nf4
                        quantizationConfig: {doubleQuant: true}
                        dataset: {format: chat, validationSplit: 0.05, maxSeqLength: 4096, packing: true}
                        training:
                          epochs: 3
                          maxSteps: 500
                          learningRate: 0.0001
                          batchSize: 2
                          gradientAccumulationSteps: 8
                          warmupRatio: 0.1
                          lrScheduler: linear
                          weightDecay: 0.01
                          maxGradNorm: 0.3
                          seed: 7
                          precision: bf16
                          gradientCheckpointing: false
                          logEverySteps: 5
                          evalEverySteps: 50
                          checkpointEverySteps: 100
                          checkpointsToKeep: 3
                          resume: never
                        merge: {enabled: true, output: {uri: 'hf://org/merged'}, dtype: fp16, maxShardSize: 2GiB}
                        resources:
                          gpus: 2
                          gpuResourceName: amd.com/gpu
                          memory: 64Gi
                          cpu: 8
                          nodeSelector: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}
                          tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
                          priorityClassName: training
                          ephemeralStorage: 80Gi
                          modelCacheClaimName: shared-models
                        image: registry.example.com/kubelora-trainer:1.0
                        serviceAccountName: trainer
                        suspend: false
                        credentials:
                          storageSecretName: s3-credentials
                          huggingFaceToken: {name: hf-token, key: token}
                        backoffLimit: 2
                        activeDeadlineSeconds: 86400
                        ttlSecondsAfterFinished: 3600
                        env: [{name: HTTPS_PROXY, value: 'http://proxy.example:3128'}]
                        """)),
                Arguments.of("a profile gives model, data and output",
                        Documents.withSpec("{baseModel: null, dataset: null, output: null, profile: team-default}")),
                Arguments.of("a profile and rules across fields it may complete", Documents.withSpec(
                        "{profile: team-default, quantizationConfig: {doubleQuant: false}, training: "
                                + "{evalEverySteps: 10}, merge: {enabled: true}}")),
                Arguments.of("plain environment variables", Documents.withSpec(
                        "env: [{name: HTTPS_PROXY, value: 'http://proxy:3128'}, {name: HF_ENDPOINT}]")),
                Arguments.of("memory as integer", Documents.withSpec("resources: {memory: 34359738368, cpu: '500m'}")),
                Arguments.of("fractional quantities", Documents.withSpec("resources: {memory: 1.5Gi, cpu: '0.5'}")),
                Arguments.of("integral learningRate", Documents.withSpec("training: {learningRate: 1}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void schemaRejects(String name, JsonNode document, String field) {
        List<String> verdict = VALIDATOR.validate(document);
        assertFalse(verdict.isEmpty(), name + " was admitted");
        assertTrue(verdict.stream().anyMatch(m -> m.contains(field)), name + ": no message names " + field
                + ": " + verdict);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void specValidatorRejectsToo(String name, JsonNode document, String field) {
        List<String> verdict = JavaVerdict.of(document);
        assertFalse(verdict.isEmpty(), "SpecValidator admits what the CRD rejects: " + name);
        assertTrue(verdict.stream().anyMatch(m -> m.contains(field)), name + ": no message names " + field
                + ": " + verdict);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("admitted")
    void schemaAndSpecValidatorAdmit(String name, JsonNode document) {
        assertEquals(List.of(), VALIDATOR.validate(document), "CRD rejects " + name);
        assertEquals(List.of(), JavaVerdict.of(document), "SpecValidator rejects " + name);
    }

    @Test
    void schemaIsClosedToUnknownFieldsButKeepsFreeFormMaps() {
        assertFalse(VALIDATOR.validate(Documents.withSpec("resources: {gpu: 1}")).isEmpty());
        assertEquals(List.of(), VALIDATOR.validate(Documents.withSpec("resources: {nodeSelector: {any/label: x}}")));
    }
}
