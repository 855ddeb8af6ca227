package io.kubelora.trainer.model;

import ai.djl.Device;
import java.util.Objects;

/**
 * How to load a model for training or inference. Start from {@link #on(Device)} and change what differs with the
 * {@code with...} methods.
 *
 * @param device                where to compute; the caller chooses (nothing here picks a default)
 * @param bf16Compute           products and attention in bf16, dense frozen weights held in bf16 ({@link Kernels});
 *                              everything else stays fp32
 * @param nf4                   decoder linears held as NF4 codes (QLoRA); embeddings, norms and lm_head stay dense
 * @param nf4DoubleQuant        with nf4: the block scales themselves in 8 bits
 * @param gradientCheckpointing recompute each decoder layer in backward instead of keeping its activations
 * @param seed                  seeds dropout (the same seed gives the same masks)
 * @param headChunkRows         target rows per lm_head + cross-entropy chunk; 0 picks about 16M logits per chunk
 */
public record ModelOptions(Device device, boolean bf16Compute, boolean nf4, boolean nf4DoubleQuant,
                           boolean gradientCheckpointing, long seed, int headChunkRows) {

    /** Logits per head chunk when {@link #headChunkRows} is 0: 64 MB in fp32. */
    static final int HEAD_CHUNK_LOGITS = 1 << 24;

    public ModelOptions {
        Objects.requireNonNull(device, "device");
        if (headChunkRows < 0) {
            throw new IllegalArgumentException("headChunkRows must be 0 (automatic) or positive, was " + headChunkRows);
        }
    }

    /** fp32, unquantized, no checkpointing, seed 0, automatic head chunks, on {@code device}. */
    public static ModelOptions on(Device device) {
        return new ModelOptions(device, false, false, false, false, 0, 0);
    }

    public ModelOptions withBf16Compute(boolean enabled) {
        return new ModelOptions(device, enabled, nf4, nf4DoubleQuant, gradientCheckpointing, seed, headChunkRows);
    }

    /** NF4 base linears (QLoRA), with or without double quantization of the block scales. */
    public ModelOptions withNf4(boolean doubleQuant) {
        return new ModelOptions(device, bf16Compute, true, doubleQuant, gradientCheckpointing, seed, headChunkRows);
    }

    public ModelOptions withGradientCheckpointing(boolean enabled) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, enabled, seed, headChunkRows);
    }

    public ModelOptions withSeed(long newSeed) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, newSeed,
                headChunkRows);
    }

    public ModelOptions withHeadChunkRows(int rows) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, seed, rows);
    }

    /** The rows per head chunk for a vocabulary of {@code vocabSize}. */
    int headChunkRows(int vocabSize) {
        return headChunkRows > 0 ? headChunkRows : Math.max(1, HEAD_CHUNK_LOGITS / vocabSize);
    }
}
