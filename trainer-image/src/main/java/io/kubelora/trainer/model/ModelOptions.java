package io.kubelora.trainer.model;

import ai.djl.Device;
import java.util.Objects;

/**
 * How to load a model for training or inference. Start from {@link #on(Device)} and change what differs with the
 * {@code with...} methods.
 *
 * @param device                where to compute; the caller chooses (nothing here picks a default)
 * @param bf16Compute           products and attention in bf16, frozen dense weights, embedding and head held in
 *                              bf16 ({@link Kernels}); everything else stays fp32
 * @param nf4                   decoder linears held as NF4 codes (QLoRA); embeddings, norms and lm_head stay dense
 * @param nf4DoubleQuant        with nf4: the block scales themselves in 8 bits
 * @param gradientCheckpointing recompute each decoder layer in backward instead of keeping its activations; the
 *                              layer inputs kept meanwhile are held in the compute precision
 * @param offloadActivations    with checkpointing: keep those layer inputs in host memory (pinned on a GPU)
 * @param embeddingOnHost       keep an untied embedding table in host memory and move only the looked-up rows
 *                              [B, T, D] to the device (LoRA never trains it; ignored for a tied one, which the head
 *                              needs on the device)
 * @param seed                  seeds dropout (the same seed gives the same masks)
 * @param headChunkRows         target rows per lm_head + cross-entropy chunk; 0 picks about 16M logits per chunk
 * @param mlpChunkRows          token rows per MLP chunk; 0 picks about 4M intermediate activations per chunk
 */
public record ModelOptions(Device device, boolean bf16Compute, boolean nf4, boolean nf4DoubleQuant,
                           boolean gradientCheckpointing, boolean offloadActivations, boolean embeddingOnHost,
                           long seed, int headChunkRows, int mlpChunkRows) {

    /** Logits per head chunk when {@link #headChunkRows} is 0: 64 MB in fp32. */
    public static final int HEAD_CHUNK_LOGITS = 1 << 24;
    /** Intermediate (gate, up) activations per MLP chunk when {@link #mlpChunkRows} is 0: 16 MB per fp32 copy. */
    public static final int MLP_CHUNK_ELEMENTS = 1 << 22;

    public ModelOptions {
        Objects.requireNonNull(device, "device");
        if (headChunkRows < 0 || mlpChunkRows < 0) {
            throw new IllegalArgumentException("chunk rows must be 0 (automatic) or positive, were " + headChunkRows
                    + " and " + mlpChunkRows);
        }
        if (offloadActivations && !gradientCheckpointing) {
            throw new IllegalArgumentException("offloading activations needs gradient checkpointing: only the "
                    + "checkpointed layer inputs are offloaded");
        }
    }

    /** fp32, unquantized, no checkpointing or offloading, seed 0, automatic chunks, on {@code device}. */
    public static ModelOptions on(Device device) {
        return new ModelOptions(device, false, false, false, false, false, false, 0, 0, 0);
    }

    public ModelOptions withBf16Compute(boolean enabled) {
        return new ModelOptions(device, enabled, nf4, nf4DoubleQuant, gradientCheckpointing, offloadActivations,
                embeddingOnHost, seed, headChunkRows, mlpChunkRows);
    }

    /** NF4 base linears (QLoRA), with or without double quantization of the block scales. */
    public ModelOptions withNf4(boolean doubleQuant) {
        return new ModelOptions(device, bf16Compute, true, doubleQuant, gradientCheckpointing, offloadActivations,
                embeddingOnHost, seed, headChunkRows, mlpChunkRows);
    }

    /** Checkpointing on or off; off also turns activation offloading off. */
    public ModelOptions withGradientCheckpointing(boolean enabled) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, enabled, enabled && offloadActivations,
                embeddingOnHost, seed, headChunkRows, mlpChunkRows);
    }

    public ModelOptions withOffloadActivations(boolean enabled) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, enabled,
                embeddingOnHost, seed, headChunkRows, mlpChunkRows);
    }

    public ModelOptions withEmbeddingOnHost(boolean enabled) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, offloadActivations,
                enabled, seed, headChunkRows, mlpChunkRows);
    }

    public ModelOptions withSeed(long newSeed) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, offloadActivations,
                embeddingOnHost, newSeed, headChunkRows, mlpChunkRows);
    }

    public ModelOptions withHeadChunkRows(int rows) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, offloadActivations,
                embeddingOnHost, seed, rows, mlpChunkRows);
    }

    public ModelOptions withMlpChunkRows(int rows) {
        return new ModelOptions(device, bf16Compute, nf4, nf4DoubleQuant, gradientCheckpointing, offloadActivations,
                embeddingOnHost, seed, headChunkRows, rows);
    }

    /** The rows per head chunk for a vocabulary of {@code vocabSize}. */
    public int headChunkRows(int vocabSize) {
        return headChunkRows > 0 ? headChunkRows : Math.max(1, HEAD_CHUNK_LOGITS / vocabSize);
    }

    /** The token rows per MLP chunk for an intermediate size of {@code intermediateSize}. */
    public int mlpChunkRows(int intermediateSize) {
        return mlpChunkRows > 0 ? mlpChunkRows : Math.max(1, MLP_CHUNK_ELEMENTS / intermediateSize);
    }

    /** Whether the embedding table of {@code config} is kept in host memory. */
    public boolean embeddingOnHost(ModelConfig config) {
        return embeddingOnHost && !config.tieWordEmbeddings();
    }
}
