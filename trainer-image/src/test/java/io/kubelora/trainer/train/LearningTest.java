package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny Llama learns a synthetic task: the loss falls by at least half within 40 steps on CPU. */
class LearningTest {

    @Test
    void lossFallsByHalfAndTheRunDeliversEverything(@TempDir Path dir) throws Exception {
        Path model = ColourTask.model(dir, 5);
        ColourTask.data(dir);
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: learn
                spec:
                  baseModel:
                    uri: %s
                  dataset:
                    uri: %s
                    validationSplit: 0.125
                  lora:
                    rank: 16
                    alpha: 32
                  training:
                    maxSteps: 40
                    batchSize: 8
                    learningRate: 0.003
                    logEverySteps: 5
                    evalEverySteps: 20
                    checkpointEverySteps: 0
                  output:
                    uri: %s
                  resources:
                    gpus: 0
                """.formatted(model, dir.resolve("data.jsonl"), dir.resolve("out"));
        LoraFineTune resource = LoraFineTuneYaml.parse(yaml, "learn.yaml");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Double> losses = new ArrayList<>();
        TrainingObserver recorder = r -> losses.add(r.loss());
        FineTuneRun.Result result;
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            result = new FineTuneRun(resource, storage, dir.resolve("work"),
                    new PrintStream(log, true, StandardCharsets.UTF_8), List.of(recorder)).execute();
        }
        assertEquals(8, losses.size());
        assertTrue(losses.get(losses.size() - 1) < losses.get(0) / 2,
                "loss did not halve: " + losses + "\n" + log.toString(StandardCharsets.UTF_8));
        assertEquals(40, result.summary().steps());
        assertTrue(result.summary().finalEvalLoss() != null && result.summary().finalEvalLoss() < losses.get(0) / 2);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("trainable params: "));
        Path out = dir.resolve("out");
        for (String file : List.of("adapter/adapter_config.json", "adapter/adapter_model.safetensors",
                "metrics.jsonl", "summary.json", "loss.png")) {
            assertTrue(Files.exists(out.resolve(file)), file + " missing");
        }
        assertEquals(out.resolve("adapter").toString(), Path.of(result.adapterUri()).toString());
    }
}
