package io.kubelora.trainer.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.model.LinearWeights;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.train.ColourTask;
import io.kubelora.trainer.train.FineTuneRun;
import io.kubelora.trainer.train.RunStart;
import io.kubelora.trainer.train.StepReport;
import io.kubelora.trainer.train.TrainingObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QLoRA learns nearly as well as LoRA: on the synthetic colour task of the train package's LearningTest,
 * with the same model, data, seed and hyperparameters, adapters over an NF4 base lower the training loss by
 * at least 80% of what adapters over the fp32 base do. A higher learning rate and fewer, smaller steps than
 * LearningTest keep the two runs short.
 */
class QloraLearningTest {

    private static final int STEPS = 12;

    @Test
    void qloraLowersTheLossNearlyAsMuchAsLora(@TempDir Path dir) throws Exception {
        Path model = ColourTask.model(dir, 5);
        ColourTask.data(dir);

        List<RunStart> starts = new ArrayList<>();
        List<Double> lora = trainingLosses(dir, model, "lora", "", starts);
        List<Double> qlora = trainingLosses(dir, model, "qlora", "quantization: nf4", starts);
        // The spec's quantization must have reached the model, or the two runs would be the same run.
        LinearWeights loraLinears = starts.get(0).linears();
        LinearWeights qloraLinears = starts.get(1).linears();
        assertEquals("fp32", loraLinears.format());
        assertEquals("nf4 (double quant)", qloraLinears.format(), "QLoRA's default is double quantization");
        assertEquals(loraLinears.parameters(), qloraLinears.parameters());
        assertEquals(32.0, loraLinears.bitsPerParameter(), 1e-9);
        // 4 bits of code, 8-bit scales per 64 values, and a 2 KiB decode table per linear: ~8.1 bits at this tiny
        // size (4.13 on real layers)
        assertTrue(qloraLinears.bitsPerParameter() < 8.5, "bits per parameter held: " + qloraLinears);
        double loraDrop = lora.get(0) - finalLoss(lora);
        double qloraDrop = qlora.get(0) - finalLoss(qlora);
        String measured = "LoRA losses " + lora + "\nQLoRA losses " + qlora;
        // Otherwise the comparison below would say nothing.
        assertTrue(loraDrop > 0.3 * lora.get(0), "LoRA itself did not learn: " + measured);
        // Measured on CPU: loss 13.97 -> 4.68 (mean of the last 4 steps) with LoRA, 13.98 -> 4.72 with QLoRA
        // (double quant), a drop ratio of 0.994; the NF4 base costs almost nothing on this task.
        assertTrue(qloraDrop >= 0.8 * loraDrop, "QLoRA/LoRA loss drop " + qloraDrop / loraDrop + "\n" + measured);
    }

    /** The mean of the last four step losses: one batch's loss alone is noisy. */
    private static double finalLoss(List<Double> losses) {
        return losses.subList(losses.size() - 4, losses.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow();
    }

    /** Trains one run and returns its per-step training losses (the first is the untrained model's). */
    private static List<Double> trainingLosses(Path dir, Path model, String name, String quantization,
                                               List<RunStart> starts) throws Exception {
        String yaml = """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata:
                  name: %s
                spec:
                  baseModel:
                    uri: %s
                  %s
                  dataset:
                    uri: %s
                  lora:
                    rank: 16
                    alpha: 32
                  training:
                    maxSteps: %d
                    batchSize: 4
                    learningRate: 0.01
                    seed: 7
                    logEverySteps: 1
                    evalEverySteps: 0
                    checkpointEverySteps: 0
                  output:
                    uri: %s
                  resources:
                    gpus: 0
                """.formatted(name, model, quantization, dir.resolve("data.jsonl"), STEPS, dir.resolve(name));
        LoraFineTune resource = LoraFineTuneYaml.parse(yaml, name + ".yaml");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Double> losses = new ArrayList<>();
        TrainingObserver recorder = new TrainingObserver() {
            @Override
            public void onStart(RunStart start) {
                starts.add(start);
            }

            @Override
            public void onReport(StepReport report) {
                losses.add(report.loss());
            }
        };
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            new FineTuneRun(resource, storage, dir.resolve(name + "-work"),
                    new PrintStream(log, true, StandardCharsets.UTF_8), List.of(recorder)).execute();
        }
        assertEquals(STEPS, losses.size(), log.toString(StandardCharsets.UTF_8));
        return losses;
    }
}
