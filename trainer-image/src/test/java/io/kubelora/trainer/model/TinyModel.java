package io.kubelora.trainer.model;

import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test fixture: a tiny random model folder whose weights the test keeps for its reference computations. */
final class TinyModel {

    final ModelConfig config;
    final Map<String, float[]> weights;
    final Path dir;

    private TinyModel(ModelConfig config, Map<String, float[]> weights, Path dir) {
        this.config = config;
        this.weights = weights;
        this.dir = dir;
    }

    /** A 2-layer model, D 32, 4 heads over 2 KV heads, vocab 50. */
    static ModelConfig config(Architecture architecture, RopeScaling scaling, boolean tied) {
        return ModelConfig.builder(architecture).hiddenSize(32).intermediateSize(48).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).ropeScaling(scaling).vocabSize(50)
                .tieWordEmbeddings(tied).maxPositionEmbeddings(128).bosTokenId(1L).eosTokenIds(List.of(2L)).build();
    }

    /**
     * Writes {@code config} with random weights: linears N(0, 0.15) so that attention is far from uniform,
     * norms 1 +- 0.2 and biases N(0, 0.1) so that mixing any of them up shows.
     */
    static TinyModel write(ModelConfig config, long seed, Path dir) throws IOException {
        Random random = new Random(seed);
        Map<String, float[]> weights = new LinkedHashMap<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, long[]> e : ModelInitializer.tensorShapes(config).entrySet()) {
            float[] values = new float[Math.toIntExact(io.kubelora.trainer.safetensors.TensorInfo.elementCount(
                    e.getValue()))];
            boolean norm = e.getKey().endsWith("norm.weight");
            double std = norm ? 0.2 : e.getKey().endsWith(".bias") ? 0.1 : 0.15;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((norm ? 1 : 0) + random.nextGaussian() * std);
            }
            weights.put(e.getKey(), values);
            entries.add(new SafetensorsWriter.Entry(e.getKey(), DType.F32, e.getValue()));
        }
        config.write(dir);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                w.write(e.name(), weights.get(e.name()));
            }
        }
        return new TinyModel(config, weights, dir);
    }

    /** A copy of this model in {@code copyDir} with the tensors of {@code changed} replaced. */
    TinyModel with(Map<String, float[]> changed, Path copyDir) throws IOException {
        Map<String, float[]> weights = new LinkedHashMap<>(this.weights);
        weights.putAll(changed);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        ModelInitializer.tensorShapes(config).forEach((n, s) -> entries.add(new SafetensorsWriter.Entry(n, DType.F32, s)));
        config.write(copyDir);
        try (SafetensorsWriter w = SafetensorsWriter.create(copyDir.resolve("model.safetensors"), entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                w.write(e.name(), weights.get(e.name()));
            }
        }
        return new TinyModel(config, weights, copyDir);
    }

    /** Writes a PEFT adapter folder with random A and B (std 0.1) for {@code targets}; returns its tensors. */
    Map<String, float[]> writeRandomAdapter(Path adapterDir, int rank, int alpha, List<String> targets, long seed)
            throws IOException {
        Random random = new Random(seed);
        Map<String, float[]> tensors = new LinkedHashMap<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            for (String module : targets) {
                long[] shape = config.linearShape(module);
                long[][] shapes = {{rank, shape[1]}, {shape[0], rank}};
                String[] names = {PeftAdapter.loraA(layer, module), PeftAdapter.loraB(layer, module)};
                for (int m = 0; m < 2; m++) {
                    float[] values = new float[(int) (shapes[m][0] * shapes[m][1])];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) (random.nextGaussian() * 0.1);
                    }
                    tensors.put(names[m], values);
                    entries.add(new SafetensorsWriter.Entry(names[m], DType.F32, shapes[m]));
                }
            }
        }
        new io.kubelora.trainer.lora.PeftAdapterConfig("tiny", rank, alpha, 0.0, targets, false).write(adapterDir);
        try (SafetensorsWriter w = SafetensorsWriter.create(
                adapterDir.resolve(io.kubelora.trainer.lora.PeftAdapter.WEIGHTS_FILE), entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                w.write(e.name(), tensors.get(e.name()));
            }
        }
        return tensors;
    }

    /** Writes a copy of this model with W + scaling * B A folded into each adapted linear (float64 sums). */
    TinyModel merged(Map<String, float[]> adapter, int rank, double scaling, Path mergedDir) throws IOException {
        Map<String, float[]> merged = new LinkedHashMap<>(weights);
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            for (String module : WeightNames.LINEAR_MODULES) {
                float[] a = adapter.get(PeftAdapter.loraA(layer, module));
                float[] b = adapter.get(PeftAdapter.loraB(layer, module));
                if (a == null) {
                    continue;
                }
                long[] shape = config.linearShape(module);
                int out = (int) shape[0];
                int in = (int) shape[1];
                float[] w = weights.get(WeightNames.weight(layer, module)).clone();
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double delta = 0;
                        for (int r = 0; r < rank; r++) {
                            delta += (double) b[o * rank + r] * a[r * in + i];
                        }
                        w[o * in + i] = (float) (w[o * in + i] + scaling * delta);
                    }
                }
                merged.put(WeightNames.weight(layer, module), w);
            }
        }
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        ModelInitializer.tensorShapes(config).forEach((n, s) -> entries.add(new SafetensorsWriter.Entry(n, DType.F32, s)));
        config.write(mergedDir);
        try (SafetensorsWriter w = SafetensorsWriter.create(mergedDir.resolve("model.safetensors"), entries,
                Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                w.write(e.name(), merged.get(e.name()));
            }
        }
        return new TinyModel(config, merged, mergedDir);
    }
}
