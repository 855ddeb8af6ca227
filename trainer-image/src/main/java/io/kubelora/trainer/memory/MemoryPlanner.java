package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds a {@link MemoryPlan}: the weights as {@link WeightBytes} counts them, the LoRA adapters with their
 * gradients and AdamW moments (fp32, 16 bytes per trainable parameter), the layer inputs checkpointing keeps, the
 * micro-batch's working sets ({@link StepMemory}), and on a GPU the CUDA context and the allocator's reserve.
 */
final class MemoryPlanner {

    /**
     * The CUDA context of a libtorch process: the driver context, the kernels libtorch loads on first use (lazy
     * module loading, CUDA_MODULE_LOADING=LAZY, is libtorch's default) and the cuBLAS/cuBLASLt handles with their
     * workspaces. Reported for PyTorch 2.x on A100/H100 at 300-600 MiB; this figure stands until measured on our
     * own runs (docs/gpu.md, "Measured figures").
     */
    static final long CUDA_CONTEXT_BYTES = 512L << 20;
    static final String CONTEXT_SOURCE = "driver context, lazily loaded kernels, cuBLAS workspaces: 512 MiB "
            + "(PyTorch 2.x reports 300-600 MiB)";

    /**
     * The caching allocator's reserve beyond the tensors at the peak: it rounds requests up (512 B blocks, 2 MiB
     * segments, 20 MiB ones for 1-10 MiB requests) and keeps freed blocks cached for reuse, so reserved memory
     * exceeds allocated memory by rounding and by fragmentation (PyTorch, "CUDA semantics: memory management").
     * Fragmentation comes from what is freed and allocated again every step (the layer inputs and the working set);
     * weights and adapters are allocated once, in order. 10% of the per-step allocations, until measured.
     */
    static final double ALLOCATOR_RESERVE_FRACTION = 0.10;
    static final String RESERVE_SOURCE = "10% of what each step allocates and frees (kept layer inputs, working set)";

    static final String LAYER_INPUTS = "checkpointed layer inputs";


    private MemoryPlanner() {
    }

    static MemoryPlan plan(ModelConfig config, PlanSettings settings) {
        ModelOptions options = settings.options();
        List<MemoryPlan.Item> held = new ArrayList<>();
        List<MemoryPlan.Item> host = new ArrayList<>();
        String precision = options.bf16Compute() ? "bf16" : "fp32";
        held.add(new MemoryPlan.Item("decoder linears", WeightBytes.decoderLinears(config, options),
                linearDetail(config, options, precision)));
        held.add(new MemoryPlan.Item("biases and norms", WeightBytes.biasesAndNorms(config), "fp32"));
        MemoryPlan.Item embedding = new MemoryPlan.Item("embedding", WeightBytes.embedding(config, options),
                precision + " [" + config.vocabSize() + ", " + config.hiddenSize() + "]"
                        + (config.tieWordEmbeddings() ? ", also the head (tied)" : ""));
        (options.embeddingOnHost(config) ? host : held).add(embedding);
        if (!config.tieWordEmbeddings()) {
            held.add(new MemoryPlan.Item("lm_head", WeightBytes.head(config, options),
                    precision + " [" + config.vocabSize() + ", " + config.hiddenSize() + "]"));
        }
        long lora = config.loraParameterCount(settings.loraRank(), settings.loraModules());
        String loraShape = String.format(Locale.ROOT, "fp32, %,d parameters (r=%d on %s)", lora, settings.loraRank(),
                String.join(", ", settings.loraModules()));
        held.add(new MemoryPlan.Item("LoRA weights", 4 * lora, loraShape));
        held.add(new MemoryPlan.Item("LoRA gradients", 4 * lora, "fp32"));
        if (settings.optimizerOffload()) {
            host.add(new MemoryPlan.Item("AdamW state", 16 * lora,
                    "fp32 moments, master weights and gradient buffers, optimizerOffload"));
        } else {
            held.add(new MemoryPlan.Item("AdamW moments", 8 * lora, "fp32, two per parameter"));
        }
        if (settings.replicas() > 1) {
            // Gradients are summed on the first GPU and weights copied back one LoRA tensor at a time.
            long largest = 0;
            for (String module : settings.loraModules()) {
                long[] shape = config.linearShape(module);                             // [out, in]
                largest = Math.max(largest, (long) settings.loraRank() * Math.max(shape[0], shape[1]));
            }
            held.add(new MemoryPlan.Item("gradient all-reduce buffer", 4 * largest,
                    "fp32, the largest LoRA tensor, copied between GPUs one at a time"));
        }
        if (options.gradientCheckpointing()) {
            long inputs = (long) config.numHiddenLayers() * settings.tokens() * config.hiddenSize()
                    * WeightBytes.heldBytes(options);
            MemoryPlan.Item kept = new MemoryPlan.Item(LAYER_INPUTS, inputs, String.format(Locale.ROOT,
                    "%s, %d x [%d, %d, %d]", precision, config.numHiddenLayers(), settings.batchSize(),
                    settings.seqLength(), config.hiddenSize()));
            (options.offloadActivations() ? host : held).add(kept);
        }
        StepMemory step = new StepMemory(config, settings);
        held.add(new MemoryPlan.Item("step constants", step.stepConstants(), "rotary tables"
                + (config.slidingWindow() != null && config.slidingWindow() < settings.seqLength()
                ? " and the sliding-window mask" : "")));
        List<MemoryPlan.Item> phases = new ArrayList<>();
        for (StepMemory.Phase phase : step.phases()) {
            phases.add(new MemoryPlan.Item(phase.name(), phase.bytes(), chunkDetail(step, config)));
        }
        long perStep = held.stream().filter(i -> i.name().equals(LAYER_INPUTS)).mapToLong(MemoryPlan.Item::bytes).sum()
                + phases.stream().mapToLong(MemoryPlan.Item::bytes).max().orElse(0);
        boolean gpu = settings.gpu();
        return new MemoryPlan(config, settings, held, phases, gpu ? CUDA_CONTEXT_BYTES : 0,
                gpu ? Math.round(ALLOCATOR_RESERVE_FRACTION * perStep) : 0, host);
    }

    private static String linearDetail(ModelConfig config, ModelOptions options, String precision) {
        double bits = WeightBytes.bitsPerLinearParameter(config, options);
        String kind = options.nf4() ? (options.nf4DoubleQuant() ? "nf4, double quantization" : "nf4, fp32 scales")
                : precision;
        return String.format(Locale.ROOT, "%s, %,d parameters, %.3f bits each", kind,
                WeightBytes.decoderLinearParameters(config), bits);
    }

    private static String chunkDetail(StepMemory step, ModelConfig config) {
        return String.format(Locale.ROOT, "head and cross-entropy in chunks of %d rows (%.1fM logits), MLP in chunks "
                + "of %d token rows, %s attention", step.headRows(), step.headRows() * config.vocabSize() / 1e6,
                step.mlpRows(), step.fusedAttention() ? "fused" : "math (materialized scores)");
    }

    /** {@code bytes} in GiB, two decimals. */
    static String gib(long bytes) {
        return ByteSize.gib(bytes);
    }
}
