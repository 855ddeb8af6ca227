package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.api.LoraSpec;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapter;
import io.kubelora.trainer.lora.LoraParameter;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.safetensors.ShardedWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder-only causal language model of the Llama family (Llama, Mistral, Qwen2) on DJL's PyTorch engine:
 * token embedding, N {@link DecoderLayer}s, final RMSNorm and an lm_head (tied to the embedding or not),
 * with frozen base weights and optional trainable LoRA adapters on the decoder linears. Matrix products and
 * attention run in fp32, or in bf16 when {@link ModelOptions#bf16Compute()} asks for it ({@link Kernels});
 * everything else is fp32.
 *
 * <p>Every call runs in its own sub-manager and NDScope, so per-step arrays are freed when it returns.
 */
public final class CausalLm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);

    private final ModelConfig config;
    private final ModelOptions options;
    private final NDManager manager;
    private final Kernels kernels;
    private final NDArray embedTokens; // [V, D]
    private final NDArray finalNorm;   // [D]
    private final NDArray lmHead;      // [V, D], the embedding itself when tied
    private final NDArray eps;         // scalar
    private final List<DecoderLayer> layers;
    private final RotaryEmbedding rope;
    /** Target rows per lm_head chunk: about 16M logits (64 MB in fp32). */
    int headChunkRows;
    private PeftAdapterConfig adapterConfig;
    private long steps;

    private CausalLm(ModelConfig config, ModelOptions options, NDManager manager, Kernels kernels,
                     NDArray embedTokens, NDArray finalNorm, NDArray lmHead, NDArray eps, List<DecoderLayer> layers) {
        this.config = config;
        this.options = options;
        this.manager = manager;
        this.kernels = kernels;
        this.embedTokens = embedTokens;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.eps = eps;
        this.layers = List.copyOf(layers);
        this.rope = new RotaryEmbedding(config);
        this.headChunkRows = Math.max(1, (1 << 24) / config.vocabSize());
    }

    /** Reads config.json and the weights of {@code modelDir}, and attaches fresh adapters if options ask for them. */
    public static CausalLm load(Path modelDir, ModelOptions options) {
        ModelConfig config = ModelConfig.read(modelDir);
        Device device = options.resolvedDevice();
        if (!device.isGpu()) {
            useExplicitThreadCount();
        }
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try (ShardedWeights weights = ShardedWeights.open(modelDir)) {
            Kernels kernels = Kernels.load(options.bf16Compute(), manager);
            if (options.bf16Compute() && !device.isGpu() && !Kernels.cpuHasBf16Units()) {
                LOG.warn("bf16 compute on a CPU without bf16 instructions (AVX512_BF16/AMX) is many times slower "
                        + "than fp32: set training.precision to auto or fp32 on this machine");
            }
            LOG.info("Compute: {} on {}; norms, rotary, loss and LoRA (fp32 master weights) in fp32",
                    kernels.description(), device);
            CausalLm model = ModelLoader.load(config, options, new WeightLoader(weights), manager, kernels);
            if (options.lora() != null) {
                model.attachFreshAdapters(PeftAdapterConfig.of(options.lora(), null));
            }
            return model;
        } catch (IOException e) {
            manager.close();
            throw new ModelLoadException(modelDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    static CausalLm assemble(ModelConfig config, ModelOptions options, NDManager manager, Kernels kernels,
                             NDArray embedTokens, NDArray finalNorm, NDArray lmHead, NDArray eps,
                             List<DecoderLayer> layers) {
        return new CausalLm(config, options, manager, kernels, embedTokens, finalNorm, lmHead, eps, layers);
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** All parameters, base and adapter (tied embeddings counted once). */
    public long parameterCount() {
        long n = embedTokens.size() + finalNorm.size() + (lmHead == embedTokens ? 0 : lmHead.size());
        for (DecoderLayer layer : layers) {
            n += layer.baseParameterCount();
        }
        return n + trainableParameterCount();
    }

    public long trainableParameterCount() {
        long n = 0;
        for (LoraParameter p : trainableParameters()) {
            n += p.array().size();
        }
        return n;
    }

    /** The adapter matrices (A then B per adapted linear, in layer and module order), empty without adapters. */
    public List<LoraParameter> trainableParameters() {
        List<LoraParameter> parameters = new ArrayList<>();
        forEachAdapter((layer, module, adapter) -> parameters.addAll(adapter.parameters()));
        return parameters;
    }

    /** The compute precision of products and attention, as {@link Kernels#description()} words it. */
    public String computeDescription() {
        return kernels.description();
    }

    /** Device bytes held by base weights (what quantization and bf16 compute shrink). */
    public long baseWeightBytes() {
        long n = (embedTokens.size() + finalNorm.size() + (lmHead == embedTokens ? 0 : lmHead.size())) * 4;
        for (DecoderLayer layer : layers) {
            n += layer.bytesHeld();
        }
        return n;
    }

    /**
     * Forward and backward of one micro-batch: backpropagates sum(token losses) * lossScale, adding into the
     * adapter gradients (the caller zeroes them). Dropout is active. Returns the unscaled summed loss.
     */
    public LossSum forwardBackward(Batch batch, float lossScale) {
        requireAdapters();
        steps++;
        Targets targets = Targets.of(batch, config.vocabSize());
        if (targets.count() == 0) {
            return new LossSum(0, 0);
        }
        try (NDManager stepManager = manager.newSubManager();
             NDScope scope = new NDScope();
             GradMode grad = GradMode.enabled()) {
            StepContext s = new StepContext(stepManager, batch.batchSize(), batch.seqLen(), true, kernels, rope,
                    config);
            NDArray scale = stepManager.create(lossScale);
            double loss = options.gradientCheckpointing()
                    ? Backward.withCheckpointing(this, s, batch, targets, scale)
                    : Backward.full(this, s, batch, targets, scale);
            return new LossSum(loss, targets.count());
        }
    }

    /** Summed loss of a batch, without gradients or dropout. */
    public LossSum loss(Batch batch) {
        Targets targets = Targets.of(batch, config.vocabSize());
        if (targets.count() == 0) {
            return new LossSum(0, 0);
        }
        try (NDManager stepManager = manager.newSubManager();
             NDScope scope = new NDScope();
             GradMode grad = GradMode.disabled()) {
            StepContext s = new StepContext(stepManager, batch.batchSize(), batch.seqLen(), false, kernels, rope,
                    config);
            NDArray x = embed(batch.inputIds(), s);
            for (int i = 0; i < layers.size(); i++) {
                x = runLayer(i, x, s);
            }
            return new LossSum(lossSum(x, targets, s, null), targets.count());
        }
    }

    /** Logits [T][V] of every position of one sequence, without dropout. */
    public float[][] logits(long[] tokenIds) {
        return logits(tokenIds, false);
    }

    /** Logits of one sequence: every position [T][V], or only the last one [1][V]. */
    public float[][] logits(long[] tokenIds, boolean lastPositionOnly) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("logits need at least one token");
        }
        int t = tokenIds.length;
        try (NDManager stepManager = manager.newSubManager();
             NDScope scope = new NDScope();
             GradMode grad = GradMode.disabled()) {
            StepContext s = new StepContext(stepManager, 1, t, false, kernels, rope, config);
            NDArray x = embed(tokenIds, s);                                           // [1, T, D]
            for (int i = 0; i < layers.size(); i++) {
                x = runLayer(i, x, s);
            }
            NDArray all = x.reshape(t, config.hiddenSize());                          // [T, D]
            NDArray rows = lastPositionOnly ? all.get(new NDIndex("{}:", t - 1)) : all; // [T', D]
            NDArray logits = kernels.linear(TensorOps.rmsNorm(rows, finalNorm, eps), lmHead, null); // [T', V]
            float[] flat = logits.toFloatArray();
            int positions = (int) rows.getShape().get(0);
            float[][] out = new float[positions][];
            for (int p = 0; p < positions; p++) {
                out[p] = Arrays.copyOfRange(flat, p * config.vocabSize(), (p + 1) * config.vocabSize());
            }
            return out;
        }
    }

    /**
     * Replaces the adapters with those saved in a PEFT folder (creating them if the model has none). The
     * folder is fully validated first, so a mismatched adapter leaves the model as it was.
     */
    public void loadAdapter(Path adapterDir) {
        PeftAdapterConfig loaded = PeftAdapterConfig.read(adapterDir);
        Map<String, float[]> values = PeftAdapter.readWeights(adapterDir,
                PeftAdapter.expectedShapes(config, loaded));
        if (adapterConfig == null || adapterConfig.rank() != loaded.rank()
                || !adapterConfig.targetModules().equals(loaded.targetModules())
                || adapterConfig.scaling() != loaded.scaling()) {
            attachFreshAdapters(loaded);
        }
        forEachAdapter((layer, module, adapter) -> {
            List<LoraParameter> ab = adapter.parameters();
            adapter.set(values.get(ab.get(0).name()), values.get(ab.get(1).name()));
        });
    }

    /** Writes the adapters as a PEFT folder (adapter_config.json + adapter_model.safetensors). */
    public void saveAdapter(Path adapterDir, String baseModelNameOrPath) {
        requireAdapters();
        PeftAdapterConfig c = adapterConfig;
        try {
            PeftAdapter.write(adapterDir, new PeftAdapterConfig(baseModelNameOrPath, c.rank(), c.alpha(),
                    c.dropout(), c.targetModules(), c.useRslora()), trainableParameters());
        } catch (IOException e) {
            throw new UncheckedIOException(adapterDir + ": cannot write adapter: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        kernels.close();
        manager.close();
    }

    // ---- internals shared with Backward ----

    List<DecoderLayer> layers() {
        return layers;
    }

    /** Token ids [B*T] -> embeddings [B, T, D]. */
    NDArray embed(long[] tokenIds, StepContext s) {
        for (long id : tokenIds) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        NDArray ids = s.manager.create(tokenIds);                                     // [B*T]
        return embedTokens.get(ids).reshape(s.batchSize, s.seqLen, config.hiddenSize()); // [B, T, D]
    }

    /** Runs layer {@code i} in its own scope so its temporaries are freed as soon as it is done. */
    NDArray runLayer(int i, NDArray x, StepContext s) {
        NDArray y;
        try (NDScope layerScope = new NDScope()) {
            if (s.training) {
                JniUtils.setSeed(dropoutSeed(i));
            }
            y = layers.get(i).forward(x, s);
            NDScope.unregister(y);
        }
        NDScope.register(y);
        return y;
    }

    /**
     * Sum over target tokens of -log softmax(logits)[target], from the last hidden state x [B, T, D]. The
     * vocabulary projection runs on {@link #headChunkRows} target rows at a time, each chunk in its own
     * scope; with {@code upstream} non-null each chunk is backpropagated right away (scaled by it), so
     * logits [N, V] never exist all at once (they dominate activation memory for 128k vocabularies).
     */
    double lossSum(NDArray x, Targets targets, StepContext s, NDArray upstream) {
        NDArray flat = x.reshape((long) s.batchSize * s.seqLen, config.hiddenSize());  // [B*T, D]
        double sum = 0;
        for (Targets chunk : targets.chunks(headChunkRows)) {
            try (NDScope chunkScope = new NDScope()) {
                NDArray positions = s.manager.create(chunk.positions());               // [n]
                NDArray ids = s.manager.create(chunk.ids(), new Shape(chunk.count(), 1)); // [n, 1]
                NDArray rows = flat.get(positions);                                     // [n, D]
                NDArray logits = kernels.linear(TensorOps.rmsNorm(rows, finalNorm, eps), lmHead, null); // [n, V]
                NDArray loss = logits.logSoftmax(-1).gather(ids, 1).sum().neg();       // []
                sum += loss.getFloat();
                if (upstream != null) {
                    backward(loss, upstream);
                }
            }
        }
        return sum;
    }

    static void backward(NDArray output, NDArray upstreamGradient) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) upstreamGradient, false, false);
    }

    /**
     * Positions the dropout stream: the next {@link #forwardBackward} is micro-batch {@code index} of the run.
     * Masks depend on (seed, index, layer) only, so a run resumed from a checkpoint repeats them exactly.
     */
    public void seekMicroBatch(long index) {
        steps = index;
    }

    private long currentStep() {
        return steps - 1;
    }

    /** Same seed for a layer's first pass and its recomputation, so dropout masks match. */
    private long dropoutSeed(int layer) {
        long z = options.seed() * 0x9E3779B97F4A7C15L + currentStep() * 0xBF58476D1CE4E5B9L + layer;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    /**
     * An explicit intra-op thread count stops OpenMP's spin-waiting from stalling steps on shared cores
     * (unless the operator already chose, with ai.djl.pytorch.num_threads or OMP_WAIT_POLICY).
     */
    private static void useExplicitThreadCount() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null && System.getenv("OMP_WAIT_POLICY") == null) {
            JniUtils.setNumThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    private void attachFreshAdapters(PeftAdapterConfig adapter) {
        SplittableRandom random = new SplittableRandom(options.seed());
        for (int i = 0; i < layers.size(); i++) {
            for (String module : LoraSpec.LINEAR_MODULES) {
                Linear linear = layers.get(i).linear(module);
                if (!adapter.targetModules().contains(module)) {
                    linear.attach(null);
                    continue;
                }
                long[] shape = linear.shape();
                linear.attach(LoraAdapter.create(WeightNames.loraA(i, module), WeightNames.loraB(i, module),
                        shape[0], shape[1], adapter.rank(), adapter.scaling(), adapter.dropout(),
                        random.split(), manager));
            }
        }
        adapterConfig = adapter;
    }

    private void requireAdapters() {
        if (adapterConfig == null) {
            throw new IllegalStateException("the model has no LoRA adapters: load it with ModelOptions.lora set "
                    + "or call loadAdapter first");
        }
    }

    private interface AdapterVisitor {
        void visit(int layer, String module, LoraAdapter adapter);
    }

    private void forEachAdapter(AdapterVisitor visitor) {
        for (int i = 0; i < layers.size(); i++) {
            for (String module : LoraSpec.LINEAR_MODULES) {
                LoraAdapter adapter = layers.get(i).linear(module).adapter();
                if (adapter != null) {
                    visitor.visit(i, module, adapter);
                }
            }
        }
    }
}
