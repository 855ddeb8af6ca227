package io.kubelora.api.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecMergeTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static final ObjectNode TEMPLATE = tree("""
            image: registry.example/ml/trainer:1.0
            quantization: nf4
            lora: {rank: 32, alpha: 64}
            resources:
              gpus: 1
              memory: 64Gi
              nodeSelector: {gpu: a100-80gb, pool: training}
              tolerations: [{key: nvidia.com/gpu, operator: Exists}]
            env:
            - {name: HTTPS_PROXY, value: 'http://proxy:3128'}
            - {name: HF_ENDPOINT, value: 'https://hf-mirror.internal'}
            """);

    @Test
    void whatTheRunLeavesOutComesFromTheTemplateAndWhatItSetsWins() {
        ObjectNode merged = SpecMerge.merge(TEMPLATE, tree("""
                baseModel: {uri: 'hf://meta-llama/Llama-3.1-8B'}
                lora: {rank: 16}
                resources:
                  memory: 80Gi
                  nodeSelector: {pool: batch}
                  tolerations: []
                """));
        assertEquals(tree("""
                image: registry.example/ml/trainer:1.0
                quantization: nf4
                lora: {rank: 16, alpha: 64}
                resources:
                  gpus: 1
                  memory: 80Gi
                  nodeSelector: {gpu: a100-80gb, pool: batch}
                  tolerations: []
                env:
                - {name: HTTPS_PROXY, value: 'http://proxy:3128'}
                - {name: HF_ENDPOINT, value: 'https://hf-mirror.internal'}
                baseModel: {uri: 'hf://meta-llama/Llama-3.1-8B'}
                """), merged);
    }

    @Test
    void environmentVariablesMergeByNameWithTheRunsValueWinning() {
        JsonNode env = SpecMerge.merge(TEMPLATE, tree("""
                env:
                - {name: HF_ENDPOINT, value: 'https://huggingface.co'}
                - {name: NO_PROXY, value: '.svc'}
                """)).get("env");
        assertEquals(tree("""
                env:
                - {name: HTTPS_PROXY, value: 'http://proxy:3128'}
                - {name: HF_ENDPOINT, value: 'https://huggingface.co'}
                - {name: NO_PROXY, value: '.svc'}
                """).get("env"), env);
    }

    @Test
    void neitherInputIsChanged() {
        ObjectNode template = TEMPLATE.deepCopy();
        ObjectNode run = tree("lora: {rank: 8}");
        SpecMerge.merge(template, run);
        assertEquals(TEMPLATE, template);
        assertEquals(tree("lora: {rank: 8}"), run);
    }

    @Test
    void lockedPathsTheRunSetsAreFoundAtAnyDepth() {
        ObjectNode run = tree("""
                image: mine:1
                resources: {gpus: 2}
                lora: {alpha: 16}
                """);
        List<String> locked = List.of("spec.image", "spec.resources", "spec.lora.rank", "spec.quantization",
                "spec.resources.gpus");
        assertEquals(List.of("spec.image", "spec.resources", "spec.resources.gpus"),
                SpecMerge.lockedPathsSet(run, locked));
        assertEquals(List.of(), SpecMerge.lockedPathsSet(tree("lora: {alpha: 16}"), List.of("spec.lora.rank")));
    }

    static ObjectNode tree(String yaml) {
        try {
            return (ObjectNode) YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
