package io.kubelora.trainer.merge;

import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny random base models and PEFT adapters written to disk for the merge tests. */
final class MergeFixtures {

    static final int VOCAB = 96;
    static final List<String> SMALL_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json");

    /** A tensor to put in an adapter file. */
    record Tensor(long[] shape, float[] values) {
    }

    private MergeFixtures() {
    }

    static ModelConfig tinyConfig(Architecture architecture, String torchDtype) {
        return Preset.TINY.config(architecture, VOCAB, torchDtype);
    }

    /** A random model of {@code config} with small tokenizer and generation files beside it. */
    static Path writeModel(ModelConfig config, long seed, Path dir) throws IOException {
        ModelInitializer.write(config, seed, dir);
        for (String name : SMALL_FILES) {
            Files.writeString(dir.resolve(name), "{\"file\": \"" + name + "\"}\n");
        }
        return dir;
    }

    /** A, B for every layer and {@code modules}, uniform in [-0.1, 0.1) (B non-zero so the update shows). */
    static Map<String, Tensor> randomAdapterTensors(ModelConfig config, int rank, List<String> modules, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            for (String module : modules) {
                long[] w = config.linearShape(module);
                tensors.put(PeftAdapter.loraA(layer, module), random(new long[] {rank, w[1]}, random));
                tensors.put(PeftAdapter.loraB(layer, module), random(new long[] {w[0], rank}, random));
            }
        }
        return tensors;
    }

    /** Writes adapter_config.json (from the arguments) and adapter_model.safetensors holding {@code tensors}. */
    static Path writeAdapter(Path dir, int rank, double alpha, boolean rslora, List<String> modules,
                             Map<String, Tensor> tensors) throws IOException {
        new PeftAdapterConfig("tiny-base", rank, alpha, 0.0, modules, rslora).write(dir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        tensors.forEach((name, t) -> entries.add(new SafetensorsWriter.Entry(name, DType.F32, t.shape())));
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve(PeftAdapter.WEIGHTS_FILE), entries,
                Map.of("format", "pt"))) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                writer.write(e.getKey(), e.getValue().values());
            }
        }
        return dir;
    }

    private static Tensor random(long[] shape, SplittableRandom random) {
        float[] values = new float[Math.toIntExact(shape[0] * shape[1])];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 0.2 - 0.1);
        }
        return new Tensor(shape, values);
    }
}
