package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.quant.Nf4Weight;

/**
 * The bytes a model's frozen weights take, as the trainer holds them ({@code CausalLm}): decoder linears dense in
 * the compute precision (2 bytes with bf16 compute, 4 with fp32) or NF4 ({@link Nf4Weight#bytesFor}); their biases
 * and every norm in fp32; the embedding table and an untied head in the compute precision; the table in host memory
 * when {@link ModelOptions#embeddingOnHost(ModelConfig)}.
 */
public final class WeightBytes {

    private WeightBytes() {
    }

    /** Bytes per element of dense frozen weights, the embedding and the head. */
    static int heldBytes(ModelOptions options) {
        return options.bf16Compute() ? 2 : 4;
    }

    /** The decoder linears of all layers (weights only). */
    public static long decoderLinears(ModelConfig config, ModelOptions options) {
        long perLayer = 0;
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = config.linearShape(module);
            perLayer += options.nf4() ? Nf4Weight.bytesFor(shape[0], shape[1], options.nf4DoubleQuant())
                    : shape[0] * shape[1] * heldBytes(options);
        }
        return perLayer * config.numHiddenLayers();
    }

    /** Parameters of the decoder linears of all layers. */
    public static long decoderLinearParameters(ModelConfig config) {
        long perLayer = 0;
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = config.linearShape(module);
            perLayer += shape[0] * shape[1];
        }
        return perLayer * config.numHiddenLayers();
    }

    /** Biases of the decoder linears (Qwen2's q/k/v, Llama's with attention_bias) and all norms, in fp32. */
    public static long biasesAndNorms(ModelConfig config) {
        long perLayer = 2L * config.hiddenSize();
        for (String module : WeightNames.LINEAR_MODULES) {
            if (config.hasBias(module)) {
                perLayer += config.linearShape(module)[0];
            }
        }
        return Float.BYTES * (perLayer * config.numHiddenLayers() + config.hiddenSize());
    }

    /** The embedding table [V, D]. */
    public static long embedding(ModelConfig config, ModelOptions options) {
        return (long) config.vocabSize() * config.hiddenSize() * heldBytes(options);
    }

    /** The head [V, D] when it is not the embedding itself, else 0. */
    public static long head(ModelConfig config, ModelOptions options) {
        return config.tieWordEmbeddings() ? 0 : embedding(config, options);
    }

    /** What the device holds: decoder linears, biases, norms, the head, and the embedding unless it is on the host. */
    public static long onDevice(ModelConfig config, ModelOptions options) {
        return decoderLinears(config, options) + biasesAndNorms(config) + head(config, options)
                + (options.embeddingOnHost(config) ? 0 : embedding(config, options));
    }

    /** What host memory holds: the embedding table when it lives there, else 0. */
    public static long onHost(ModelConfig config, ModelOptions options) {
        return options.embeddingOnHost(config) ? embedding(config, options) : 0;
    }

    /** Bits per decoder-linear parameter: 4.127 for NF4 with double quantization, 16 for bf16, 32 for fp32. */
    public static double bitsPerLinearParameter(ModelConfig config, ModelOptions options) {
        return 8.0 * decoderLinears(config, options) / decoderLinearParameters(config);
    }
}
