package io.kubelora.trainer.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.LinearWeights;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelInitializer;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.model.WeightNames;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NF4 (QLoRA) base weights change a model's predictions only a little: on a tiny random Llama the
 * next-token distributions of the NF4 model stay within a small mean KL divergence of the fp32 ones, and
 * no logit moves far. Only the decoder linears are quantized; embeddings, norms and lm_head stay fp32.
 */
class Nf4LogitsTest {

    private static final int VOCAB = 512;
    private static final int SEQUENCES = 4;
    private static final int LENGTH = 32;

    /*
     * Measured on CPU (Preset.TINY, vocab 512, seed 11, 4 x 32 random tokens), both with and without double
     * quantization: mean KL 1.14e-4 nats, max |logit error| 0.131. The bounds leave a margin of about 2.5x.
     */
    private static final double MAX_MEAN_KL = 3e-4;
    private static final double MAX_ABS_LOGIT_ERROR = 0.3;

    @TempDir
    static Path dir;

    private static float[][][] reference;
    private static long[][] prompts;

    @BeforeAll
    static void writeModelAndFp32Logits() throws Exception {
        ModelInitializer.write(Architecture.LLAMA, Preset.TINY, VOCAB, 11, dir);
        SplittableRandom random = new SplittableRandom(3);
        prompts = new long[SEQUENCES][LENGTH];
        for (long[] prompt : prompts) {
            for (int t = 0; t < LENGTH; t++) {
                prompt[t] = random.nextInt(VOCAB);
            }
        }
        reference = logitsOf(ModelOptions.on(Device.cpu()));
    }

    @ParameterizedTest(name = "doubleQuant={0}")
    @ValueSource(booleans = {false, true})
    void nf4LogitsStayCloseToTheFp32Ones(boolean doubleQuant) {
        float[][][] nf4 = logitsOf(ModelOptions.on(Device.cpu()).withNf4(doubleQuant));
        double klSum = 0;
        double maxError = 0;
        int positions = 0;
        for (int s = 0; s < SEQUENCES; s++) {
            for (int t = 0; t < LENGTH; t++) {
                klSum += klDivergence(reference[s][t], nf4[s][t]);
                for (int v = 0; v < VOCAB; v++) {
                    maxError = Math.max(maxError, Math.abs(reference[s][t][v] - nf4[s][t][v]));
                }
                positions++;
            }
        }
        double meanKl = klSum / positions;
        String measured = "mean KL " + meanKl + ", max |logit error| " + maxError;
        assertTrue(meanKl < MAX_MEAN_KL, measured);
        assertTrue(maxError < MAX_ABS_LOGIT_ERROR, measured);
        // The quantized model must actually differ: otherwise the bounds above would test nothing.
        assertTrue(maxError > 0, "NF4 logits are identical to the fp32 ones: was the model quantized?");
    }

    /**
     * NF4 weights dequantized straight into bf16 for bf16 products: the logits stay within bf16's precision of those
     * of fp32 products over the same NF4 weights.
     */
    @Test
    void nf4WithBf16ProductsStaysCloseToNf4WithFp32Products() {
        float[][][] fp32 = logitsOf(ModelOptions.on(Device.cpu()).withNf4(true));
        float[][][] bf16 = logitsOf(ModelOptions.on(Device.cpu()).withNf4(true).withBf16Compute(true));
        double klSum = 0;
        int positions = 0;
        for (int s = 0; s < SEQUENCES; s++) {
            for (int t = 0; t < LENGTH; t++) {
                klSum += klDivergence(fp32[s][t], bf16[s][t]);
                positions++;
            }
        }
        double meanKl = klSum / positions;
        // measured 2.7e-5 nats on CPU; the bound leaves a margin of about 4x
        assertTrue(meanKl > 0, "bf16 products gave fp32 logits");
        assertTrue(meanKl < 1e-4, "mean KL " + meanKl);
    }

    /**
     * Double quantization holds each 64-value block's scale in one byte instead of four (plus an fp32 step per 256
     * blocks and one fp32 mean per weight), and the scales it holds are rounded, so the weights, and the logits,
     * differ from those of plain NF4.
     */
    @Test
    void doubleQuantizationHoldsSmallerScalesAndChangesTheWeights() throws Exception {
        Loaded plain = load(ModelOptions.on(Device.cpu()).withNf4(false));
        Loaded doubled = load(ModelOptions.on(Device.cpu()).withNf4(true));
        assertEquals("nf4", plain.linears().format());
        assertEquals("nf4 (double quant)", doubled.linears().format());
        ModelConfig config = ModelConfig.read(dir);
        long saved = 0;
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = config.linearShape(module);
            long blocks = (shape[0] * shape[1] + Nf4.BLOCK_SIZE - 1) / Nf4.BLOCK_SIZE;
            long groups = (blocks + QuantizedScales.GROUP_SIZE - 1) / QuantizedScales.GROUP_SIZE;
            saved += config.numHiddenLayers() * (4 * blocks - (blocks + 4 * groups + 4));
        }
        assertEquals(saved, plain.linears().bytesHeld() - doubled.linears().bytesHeld(),
                "bytes saved by 8-bit block scales");
        double maxDifference = 0;
        for (int s = 0; s < SEQUENCES; s++) {
            for (int t = 0; t < LENGTH; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    maxDifference = Math.max(maxDifference, Math.abs(plain.logits()[s][t][v]
                            - doubled.logits()[s][t][v]));
                }
            }
        }
        assertTrue(maxDifference > 1e-4, "double quantization must change the weights: max |logit difference| "
                + maxDifference);
    }

    /** The logits of every prompt and how the decoder linears were held under {@code options}. */
    private record Loaded(float[][][] logits, LinearWeights linears) {
    }

    private static Loaded load(ModelOptions options) {
        try (CausalLm model = CausalLm.load(dir, options)) {
            float[][][] logits = new float[SEQUENCES][][];
            for (int s = 0; s < SEQUENCES; s++) {
                logits[s] = model.logits(prompts[s]);
                assertEquals(LENGTH, logits[s].length);
            }
            return new Loaded(logits, model.linearWeights());
        }
    }

    /** Logits [sequence][position][vocab] of every prompt under {@code options}. */
    private static float[][][] logitsOf(ModelOptions options) {
        return load(options).logits();
    }

    /** KL(p || q) in nats of the softmax distributions of two logit vectors, in float64. */
    static double klDivergence(float[] pLogits, float[] qLogits) {
        double[] logP = logSoftmax(pLogits);
        double[] logQ = logSoftmax(qLogits);
        double kl = 0;
        for (int v = 0; v < logP.length; v++) {
            kl += Math.exp(logP[v]) * (logP[v] - logQ[v]);
        }
        return kl;
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int v = 0; v < logits.length; v++) {
            out[v] = logits[v] - logZ;
        }
        return out;
    }
}
