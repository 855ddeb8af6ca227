package io.kubelora.trainer.model;

import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a randomly initialised Hugging Face model folder (config.json + model.safetensors): decoder linears
 * N(0, 0.02) as usual, norms 1, biases 0, and token embeddings / output head N(0, (2/sqrt(D))^2).
 *
 * <p>Why the larger embedding scale: a LoRA run keeps the head frozen, and after the final RMSNorm the hidden state
 * has norm ~sqrt(D). With rows of norm 0.02*sqrt(D) the largest reachable logit would be ~0.02*D (about 1 for
 * D = 64), so no adapter could make a confident prediction and the loss would stay near ln(vocab). Rows of norm 2
 * allow logits up to 2*sqrt(D), which lets a fine-tune of a random model visibly learn.
 */
public final class ModelInitializer {

    public static final double INIT_STD = 0.02;

    private ModelInitializer() {
    }

    /** A {@code preset}-sized {@code architecture} model with {@code vocabSize} tokens, stored as bf16. */
    public static void write(Architecture architecture, Preset preset, int vocabSize, long seed, Path outDir)
            throws IOException {
        write(preset.config(architecture, vocabSize, DType.BF16.torchDtype()), seed, outDir);
    }

    /** A model of {@code config}, stored in the dtype its {@code torch_dtype} names. */
    public static void write(ModelConfig config, long seed, Path outDir) throws IOException {
        DType dtype = DType.fromTorchDtype(config.torchDtype());
        config.write(outDir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, long[]> e : tensorShapes(config).entrySet()) {
            entries.add(new SafetensorsWriter.Entry(e.getKey(), dtype, e.getValue()));
        }
        SplittableRandom random = new SplittableRandom(seed);
        try (SafetensorsWriter writer = SafetensorsWriter.create(outDir.resolve("model.safetensors"), entries,
                Map.of("format", "pt"))) {
            for (SafetensorsWriter.Entry e : entries) {
                writer.write(e.name(), initialValues(e.name(), e.elementCount(), config, random));
            }
        }
    }

    /** The initial values of tensor {@code name}: ones for norms, zeros for biases, N(0, std^2) otherwise. */
    static float[] initialValues(String name, long elementCount, ModelConfig config, SplittableRandom random) {
        float[] values = new float[Math.toIntExact(elementCount)];
        if (isNorm(name)) {
            Arrays.fill(values, 1f);
        } else if (!isBias(name)) {
            double std = initStd(name, config);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * std);
            }
        }
        return values;
    }

    static boolean isNorm(String name) {
        return name.endsWith("norm.weight");
    }

    static boolean isBias(String name) {
        return name.endsWith(".bias");
    }

    /** Standard deviation of a random matrix: 2/sqrt(D) for embeddings and head (see the class comment), else 0.02. */
    static double initStd(String name, ModelConfig config) {
        boolean tokenMatrix = name.equals(WeightNames.EMBED_TOKENS) || name.equals(WeightNames.LM_HEAD);
        return tokenMatrix ? 2.0 / Math.sqrt(config.hiddenSize()) : INIT_STD;
    }

    /** Every tensor of a {@code config} model, by Hugging Face name, in file order. */
    public static Map<String, long[]> tensorShapes(ModelConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long d = config.hiddenSize();
        shapes.put(WeightNames.EMBED_TOKENS, new long[] {config.vocabSize(), d});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            shapes.put(WeightNames.inputNorm(i), new long[] {d});
            for (String module : WeightNames.LINEAR_MODULES) {
                long[] shape = config.linearShape(module);
                shapes.put(WeightNames.weight(i, module), shape);
                if (config.hasBias(module)) {
                    shapes.put(WeightNames.bias(i, module), new long[] {shape[0]});
                }
            }
            shapes.put(WeightNames.postAttentionNorm(i), new long[] {d});
        }
        shapes.put(WeightNames.FINAL_NORM, new long[] {d});
        if (!config.tieWordEmbeddings()) {
            shapes.put(WeightNames.LM_HEAD, new long[] {config.vocabSize(), d});
        }
        return shapes;
    }
}
