package io.kubelora.trainer.doctor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.InPlace;
import io.kubelora.trainer.model.LossSum;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.storage.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One forward and backward pass of a tiny Llama with LoRA on every decoder linear, from the same weights, adapter
 * values and tokens on any device and in either precision, so that two devices can be compared number for number.
 * The adapters' B matrices are random, not zero, so that both A and B get non-zero gradients.
 */
final class LoraProbe implements AutoCloseable {

    static final long SEED = 7;
    static final int RANK = 8;
    private static final int VOCAB = 256;
    private static final int BATCH = 2;
    private static final int SEQ = 32;

    private final Path folder;
    private final ModelConfig config;

    private LoraProbe(Path folder, ModelConfig config) {
        this.folder = folder;
        this.config = config;
    }

    /** Writes the tiny model (2 layers, hidden 64) to a temporary folder, deleted on close. */
    static LoraProbe create() throws IOException {
        Path folder = Files.createTempDirectory("kubelora-doctor");
        ModelConfig config = Preset.TINY.config(Architecture.LLAMA, VOCAB, "float32");
        ModelInitializer.write(config, SEED, folder);
        return new LoraProbe(folder, config);
    }

    /** "tiny Llama (2 layers, hidden 64, vocab 256), LoRA r=8 on all linears, batch 2 x 32 tokens, seed 7". */
    String describe() {
        return "tiny Llama (" + config.numHiddenLayers() + " layers, hidden " + config.hiddenSize() + ", vocab "
                + VOCAB + "), LoRA r=" + RANK + " on all linears, batch " + BATCH + " x " + SEQ + " tokens, seed "
                + SEED;
    }

    /** The mean loss and every LoRA gradient (A then B of each adapter, in layer and module order). */
    record Result(double loss, float[] gradients) {
    }

    /**
     * How far a result is from a reference: absolute and relative difference of the loss, and the largest
     * gradient difference, absolute and relative to the reference's largest gradient magnitude. NaN anywhere
     * makes a difference NaN, which no limit accepts.
     */
    record Difference(double loss, double lossRelative, double gradient, double gradientRelative) {

        static Difference between(Result result, Result reference) {
            double loss = Math.abs(result.loss() - reference.loss());
            double gradient = Nf4Probe.maxAbsDifference(result.gradients(), reference.gradients());
            double scale = 0;
            for (float g : reference.gradients()) {
                scale = Math.max(scale, Math.abs(g));
            }
            return new Difference(loss, loss / Math.abs(reference.loss()), gradient, gradient / scale);
        }

        boolean within(Doctor.Limits limits) {
            return lossRelative <= limits.loss() && gradientRelative <= limits.gradient();
        }
    }

    Result run(Device device, boolean bf16) {
        ModelOptions options = ModelOptions.on(device).withBf16Compute(bf16).withSeed(SEED);
        try (CausalLm model = CausalLm.load(folder, options)) {
            LoraAdapters adapters = LoraAdapters.attach(model,
                    new PeftAdapterConfig(null, RANK, 2 * RANK, 0.0, WeightNames.LINEAR_MODULES, false), SEED);
            SplittableRandom random = new SplittableRandom(SEED);
            for (TrainableParameter p : adapters.parameters()) {
                float[] values = new float[Math.toIntExact(p.array().size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (0.1 * random.nextGaussian());
                }
                InPlace.assign(p.array(), values);
            }
            Batch batch = Batch.randomTokens(BATCH, SEQ, VOCAB, SEED);
            LossSum loss = model.forwardBackward(batch, 1f / batch.targetTokens());
            List<float[]> parts = new ArrayList<>();
            int total = 0;
            for (TrainableParameter p : adapters.parameters()) {
                try (NDArray gradient = p.array().getGradient()) {
                    float[] values = gradient.toFloatArray();
                    parts.add(values);
                    total += values.length;
                }
            }
            float[] gradients = new float[total];
            int at = 0;
            for (float[] part : parts) {
                System.arraycopy(part, 0, gradients, at, part.length);
                at += part.length;
            }
            return new Result(loss.mean(), gradients);
        }
    }

    @Override
    public void close() {
        LocalFiles.deleteTree(folder);
    }
}
