package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.HeldWeights;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import java.util.List;
import java.util.Set;

/**
 * The memory one training micro-batch needs beyond what is held all run, phase by phase, as the trainer's code
 * allocates it (model/DecoderLayer, Backward, LmHead, Kernels). Every array handle is released as soon as its last
 * consumer has run, so what counts at any moment is what autograd saved for backward (listed per op below) plus
 * the arrays in flight. Symbols: N = B*T tokens, D hidden, Q = H*hd query width, K = KV*hd key/value width, I MLP
 * width, V vocabulary, c = bytes of the compute precision (2 for bf16, 4 for fp32); the residual stream and every
 * gradient reaching it are fp32 (4 bytes).
 */
final class StepMemory {

    private static final Set<String> QKV = Set.of("q_proj", "k_proj", "v_proj");
    private static final Set<String> OUT = Set.of("o_proj");
    private static final Set<String> GATE_UP = Set.of("gate_proj", "up_proj");
    private static final Set<String> DOWN = Set.of("down_proj");
    private static final Set<String> MLP = Set.of("gate_proj", "up_proj", "down_proj");
    /** The attention half's largest projections, q and o [H*hd, D] / [D, H*hd]. */
    private static final Set<String> WIDEST = Set.of("q_proj", "o_proj");

    private final ModelConfig config;
    private final PlanSettings settings;
    private final ModelOptions options;
    private final long n;      // tokens
    private final long d;
    private final long q;
    private final long k;
    private final long i;
    private final long c;      // compute bytes
    private final long maskBytes;

    StepMemory(ModelConfig config, PlanSettings settings) {
        this.config = config;
        this.settings = settings;
        this.options = settings.options();
        this.n = settings.tokens();
        this.d = config.hiddenSize();
        this.q = (long) config.numAttentionHeads() * config.headDim();
        this.k = (long) config.numKeyValueHeads() * config.headDim();
        this.i = config.intermediateSize();
        this.c = WeightBytes.heldBytes(options);
        // CUDA's fused dropout keeps a bool mask; the CPU one a float noise tensor of the input's size
        this.maskBytes = settings.gpu() ? 1 : 4;
    }

    /** One working set: the arrays alive at the phase's peak. */
    record Phase(String name, long bytes) {
    }

    /** The phases of a micro-batch; the largest decides the peak. */
    List<Phase> phases() {
        if (!options.gradientCheckpointing()) {
            long graph = config.numHiddenLayers() * layerGraph() + 8 * n * d;
            return List.of(new Phase("forward graph of every layer, then the head", graph + head()),
                    new Phase("forward graph of every layer, then a layer's backward", graph
                            + Math.max(attentionBackward(), mlpFrontier(mlpRows()))));
        }
        return List.of(
                new Phase("forward without graph", forward()),
                new Phase("head and cross-entropy chunk", 8 * n * d + head()),
                new Phase("layer backward, MLP chunk", mlpBackward()),
                new Phase("layer backward, attention half", 4 * n * d + Math.max(attentionForward(),
                        attentionBackward())));
    }

    /** Rotary tables for queries and keys ([T, 1, hd] cos and sin each) and a sliding-window mask shorter than T. */
    long stepConstants() {
        long t = settings.seqLength();
        Integer window = config.slidingWindow();
        long mask = window != null && window < t ? t * t * (4 + c) : 0;
        return 4 * t * config.headDim() * 4 + mask;
    }

    /** Token rows per MLP chunk. */
    long mlpRows() {
        return Math.min(n, options.mlpChunkRows(config.intermediateSize()));
    }

    /** Target rows per head chunk (every position may carry loss). */
    long headRows() {
        return Math.min(n, options.headChunkRows(config.vocabSize()));
    }

    /** Which attention kernel torch's scaled_dot_product_attention picks for the step, by its dispatch rules. */
    boolean fusedAttention() {
        Integer window = config.slidingWindow();
        boolean masked = window != null && window < settings.seqLength();
        if (settings.gpu()) {
            // flash: bf16, no mask (it takes grouped heads); memory-efficient: any dtype or mask, no grouped heads
            return (options.bf16Compute() && !masked && config.headDim() <= 256) || !grouped();
        }
        return !grouped(); // the CPU flash kernel takes no grouped heads; math otherwise
    }

    private boolean grouped() {
        return config.numKeyValueHeads() != config.numAttentionHeads();
    }

    /**
     * The forward pass of a checkpointed step, without graph. In the attention half: the layer's input and the
     * half's arrays in flight. In the MLP half: its input a, the output filled chunk by chunk, the dequantized MLP
     * weights, and one chunk in flight (or the dequantization of a weight).
     */
    private long forward() {
        long mlp = 8 * n * d + mlpWeightsInUse() + Math.max(mlpForward(mlpRows()),
                dequantizing(MLP));
        return Math.max(4 * n * d + attentionInFlight(false), mlp);
    }

    /**
     * The attention half's arrays in flight beyond what autograd keeps, at its widest moment: either a projection
     * (h, the base product, the adapter's update and their sum, 12 bytes per output element, or the dequantization
     * of an NF4 weight), or the attention kernel (q, k, v in fp32, the rotated q, the merged output in the compute
     * precision and fp32; without a graph also the kernel's inputs and output, which a graph keeps anyway, and the
     * math kernel's scores).
     */
    private long attentionInFlight(boolean graph) {
        long projection = 4 * n * d + Math.max(12 * n * Math.max(q, d),
                graph ? dequantizing(WIDEST) : largestDequantized(WIDEST));
        long kernel = 4 * n * (q + 2 * k) + 4 * n * q + c * n * q + 4 * n * q
                + (graph ? 0 : c * n * (2 * q + 2 * k))
                + (fusedAttention() ? 0 : 2 * c * attentionScores());
        return Math.max(projection, kernel);
    }

    /**
     * The attention kernel's saved tensors: fused, q, k, v and the output with its log-sum-exp; math, the scaled
     * q, k and v expanded to every query head, and the softmax.
     */
    private long kernelSaved() {
        return fusedAttention()
                ? c * n * (2 * q + 2 * k) + 4L * settings.batchSize() * config.numAttentionHeads() * settings.seqLength()
                : 3 * c * n * q + c * attentionScores();
    }

    /**
     * What autograd keeps of the attention half up to the kernel: its input (RMSNorm's), the q/k/v adapters'
     * input, the NF4 q/k/v weights dequantized for their products, and the kernel's saved tensors.
     */
    private long attentionInputSide() {
        return 4 * n * d + 4 * n + loraKept(QKV, d, n) + dequantized(QKV) + kernelSaved();
    }

    /** What autograd keeps after the kernel: o_proj's adapter input and NF4 weight, and the half's output. */
    private long attentionOutputSide() {
        return loraKept(OUT, q, n) + dequantized(OUT) + 4 * n * d;
    }

    /**
     * Pass 3's forward at its widest moment: the q projection (the input, h, the q/k/v weights, the base product,
     * the adapter's update and their sum), the kernel (the input side kept and the kernel's arrays in flight), or
     * the o projection (the input side, the o adapter's input and weight, product, update and sum).
     */
    private long attentionForward() {
        long h = Math.max(4 * n * d, loraKept(QKV, d, n));
        long qProjection = 4 * n * d + h + dequantized(QKV) + 12 * n * q;
        long kernel = attentionInputSide() + attentionInFlight(true);
        long oProjection = attentionInputSide() + Math.max(4 * n * q, loraKept(OUT, q, n)) + dequantized(OUT)
                + 12 * n * d;
        return Math.max(qProjection, Math.max(kernel, oProjection));
    }

    /**
     * Pass 3's backward, at its widest moment: o_proj's backward (all kept, the output gradient in fp32 and the
     * compute precision), the kernel's backward (the kept input side, the half's output held by its handle, and the
     * kernel's gradients: fused ones with, for flash on a GPU, its fp32 query accumulator and grouped k/v gradients
     * expanded to every query head; math ones with the score gradients), or the moment after (the kernel's
     * gradients, their fp32 casts, rotary's and the input's gradients).
     */
    private long attentionBackward() {
        long inputSide = attentionInputSide();
        long outBackward = inputSide + attentionOutputSide() + (4 + c) * n * q;
        long kernelGradients = fusedAttention()
                ? c * n * q + c * n * (q + 2 * k) + (settings.gpu() ? 4 * n * q + (grouped() ? 2 * c * n * q : 0) : 0)
                : c * n * q + 3 * c * n * q + 2 * c * attentionScores();
        long kernelBackward = inputSide + 4 * n * d + kernelGradients;
        long after = inputSide - kernelSaved() + 4 * n * d + (c + 4) * n * (q + 2 * k) + 4 * n * q + 4 * n * d;
        return Math.max(outBackward, Math.max(kernelBackward, after));
    }

    /** [B, H, T, T] elements of the math kernel's attention scores. */
    private long attentionScores() {
        return (long) settings.batchSize() * config.numAttentionHeads() * settings.seqLength() * settings.seqLength();
    }

    /**
     * Pass 2, the MLP's backward: the upstream gradient, the MLP input a and its gradient, the dequantized MLP
     * weights, and one chunk's graph with its widest moment (the layer's input is restored again for pass 3).
     */
    private long mlpBackward() {
        long rows = mlpRows();
        return 3 * 4 * n * d + mlpWeightsInUse() + mlpChunkSaved(rows, true)
                + Math.max(mlpFrontier(rows), mlpForward(rows));
    }

    /**
     * What autograd keeps for one chunk of the MLP half: the chunk's input (a fresh leaf in backward), the adapters'
     * inputs, SwiGLU's three compute-precision tensors, and the chunk's output (the root).
     */
    private long mlpChunkSaved(long rows, boolean leaf) {
        return (leaf ? 4 * rows * d : 0) + 4 * rows + loraKept(GATE_UP, d, rows) + 3 * c * rows * i
                + loraKept(DOWN, i, rows) + 4 * rows * d;
    }

    /** A chunk in flight: gate and up in fp32, SwiGLU's product and its fp32 result. */
    private long mlpForward(long rows) {
        return (12 + c) * rows * i + 8 * rows * d;
    }

    /** A chunk's widest moment in backward: the gated gradient, SwiGLU's input gradients and their fp32 casts. */
    private long mlpFrontier(long rows) {
        return (8 + 3 * c) * rows * i + 4 * rows * d;
    }

    /** NF4 gate, up and down weights dequantized once for all chunks of a pass; dense ones are the stored arrays. */
    private long mlpWeightsInUse() {
        return dequantized(MLP);
    }

    /**
     * One chunk of the head: the gathered hidden rows and their norm, the logits in the compute precision and in
     * fp32, their log-softmax (kept for backward) and in backward its gradient and the logits' gradient.
     */
    private long head() {
        long rows = headRows();
        long v = config.vocabSize();
        return (12 + c) * rows * v + (8 + c) * rows * d;
    }

    /**
     * Without checkpointing, what one layer's graph keeps: the attention half's tensors, a (RMSNorm's input), the
     * MLP's over all N rows (chunks are views of a) and its NF4 weights; its output is the next layer's input.
     */
    private long layerGraph() {
        return attentionInputSide() + attentionOutputSide() + mlpChunkSaved(n, false) - 4 * n * d
                + mlpWeightsInUse();
    }

    /**
     * The adapters' inputs kept for the gradients of A: the shared input itself without dropout, a dropped copy
     * (and its mask) per adapter with it; plus each adapter's [rows, r] down-projection.
     */
    private long loraKept(Set<String> group, long inputWidth, long rows) {
        long adapted = settings.loraModules().stream().filter(group::contains).count();
        if (adapted == 0) {
            return 0;
        }
        long inputs = settings.loraDropout() > 0 ? adapted * (4 + maskBytes) * rows * inputWidth
                : 4 * rows * inputWidth;
        return inputs + adapted * 4 * rows * settings.loraRank();
    }

    /** NF4 weights of {@code modules} dequantized in the compute precision (kept by their products); 0 if dense. */
    private long dequantized(Set<String> modules) {
        if (!options.nf4()) {
            return 0;
        }
        long bytes = 0;
        for (String module : modules) {
            long[] shape = config.linearShape(module);
            bytes += c * shape[0] * shape[1];
        }
        return bytes;
    }

    /** The largest NF4 weight of {@code modules} dequantized for one product, while it is made; 0 if dense. */
    private long largestDequantized(Set<String> modules) {
        return options.nf4() ? c * largestWeight(modules) + dequantizing(modules) : 0;
    }

    /**
     * The arrays in flight while the largest NF4 weight of {@code modules} is dequantized, beyond the result (0 if
     * dense): with bf16 one block of rows (HeldWeights.BLOCK_BYTES of fp32) as an int32 code index and fp32 values,
     * 6 bytes per element; with fp32 the whole weight's int32 index (the values become the result).
     */
    private long dequantizing(Set<String> modules) {
        if (!options.nf4()) {
            return 0;
        }
        long largest = largestWeight(modules);
        return options.bf16Compute() ? 6 * Math.min(largest, HeldWeights.BLOCK_BYTES / 4) : 2 * largest;
    }

    private long largestWeight(Set<String> modules) {
        long largest = 0;
        for (String module : modules) {
            long[] shape = config.linearShape(module);
            largest = Math.max(largest, shape[0] * shape[1]);
        }
        return largest;
    }
}
