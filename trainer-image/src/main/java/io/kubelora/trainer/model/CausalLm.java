package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.device.CpuInfo;
import io.kubelora.trainer.safetensors.ShardedWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder-only causal language model of the Llama family (Llama, Mistral, Qwen2) on DJL's PyTorch engine:
 * token embedding and N {@link DecoderLayer}s ({@link Decoder}, the one forward to the last hidden state), then
 * the final RMSNorm and lm_head ({@link LmHead}, tied to the embedding or not). Base weights are frozen;
 * trainable {@link LinearAdapter}s (LoRA) are attached to its decoder {@link Linear}s by name after loading.
 * Matrix products and attention run in fp32, or in bf16 when {@link ModelOptions#bf16Compute()} asks for it
 * ({@link Kernels}), which also holds the frozen weights, embedding and head in bf16; the residual stream, norms,
 * loss and LoRA are fp32. An untied embedding table can live in host memory
 * ({@link ModelOptions#embeddingOnHost()}).
 *
 * <p>Every call runs in its own sub-manager and NDScope, so per-step arrays are freed when it returns. Each
 * instance owns its weights and manager on one device: several instances can serve as data-parallel replicas.
 */
public final class CausalLm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);

    private final ModelConfig config;
    private final ModelOptions options;
    private final NDManager manager;
    private final NDManager hostManager; // the embedding table's when it lives in host memory, else null
    private final Kernels kernels;
    private final RotaryEmbedding rope;
    private final TokenEmbedding embedding;
    private final Decoder decoder;
    private final LmHead head;
    private LayerInputs.KeptBytes lastKeptBytes = new LayerInputs.KeptBytes(0, 0);

    private CausalLm(ModelConfig config, ModelOptions options, NDManager manager, NDManager hostManager,
                     Kernels kernels, WeightSource weights) {
        this.config = config;
        this.options = options;
        this.manager = manager;
        this.hostManager = hostManager;
        this.kernels = kernels;
        this.rope = new RotaryEmbedding(config);
        this.embedding = TokenEmbedding.load(config, weights, hostManager != null ? hostManager : manager,
                hostManager != null, kernels);
        this.head = LmHead.load(config, weights, manager, embedding, kernels,
                options.headChunkRows(config.vocabSize()));
        BaseWeightFactory factory = new BaseWeightFactory(options, weights, manager, kernels);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(DecoderLayer.load(i, config, weights, factory, manager));
        }
        this.decoder = new Decoder(embedding, layers);
    }

    /** Reads config.json and the weights of {@code modelDir}, checking every tensor's presence and shape. */
    public static CausalLm load(Path modelDir, ModelOptions options) {
        ModelConfig config = ModelConfig.read(modelDir);
        try (ShardedWeights weights = ShardedWeights.open(modelDir)) {
            return build(config, new WeightLoader(weights), options);
        } catch (IOException e) {
            throw new ModelLoadException(modelDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A model of {@code config} with random weights made on the options' device (no files): for benchmarks and
     * memory measurements of real shapes. Seed libtorch (Engine.setRandomSeed) for repeatable weights.
     */
    public static CausalLm random(ModelConfig config, ModelOptions options) {
        return build(config, new RandomWeights(config), options);
    }

    private static CausalLm build(ModelConfig config, WeightSource weights, ModelOptions options) {
        Device device = options.device();
        if (!device.isGpu()) {
            useExplicitThreadCount();
        }
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        NDManager hostManager = options.embeddingOnHost(config) ? NDManager.newBaseManager(Device.cpu(), "PyTorch")
                : null;
        try {
            Kernels kernels = Kernels.load(options.bf16Compute(), config.rmsNormEps(), manager);
            if (options.bf16Compute() && !device.isGpu() && !CpuInfo.hasBf16Units()) {
                LOG.warn("bf16 compute on a CPU without bf16 instructions (AVX512_BF16/AMX) is many times slower "
                        + "than fp32: set training.precision to auto or fp32 on this machine");
            }
            LOG.debug("Compute: {} on {}; norms, rotary, loss and LoRA (fp32 master weights) in fp32{}",
                    kernels.description(), device, hostManager != null ? "; embedding table in host memory" : "");
            return new CausalLm(config, options, manager, hostManager, kernels, weights);
        } catch (RuntimeException e) {
            manager.close();
            if (hostManager != null) {
                hostManager.close();
            }
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** The manager owning the weights; long-lived state of this model (e.g. optimizer moments) belongs here. */
    public NDManager manager() {
        return manager;
    }

    /** The decoder linear {@code module} (a {@link WeightNames#LINEAR_MODULES} name) of layer {@code layer}. */
    public Linear linear(int layer, String module) {
        return decoder.layer(layer).linear(module);
    }

    /** All parameters, base and adapter (tied embeddings counted once). */
    public long parameterCount() {
        long n = embedding.weight().size() + head.parameterCount();
        for (int i = 0; i < decoder.layerCount(); i++) {
            n += decoder.layer(i).baseParameterCount();
        }
        return n + trainableParameterCount();
    }

    public long trainableParameterCount() {
        long n = 0;
        for (TrainableParameter p : trainableParameters()) {
            n += p.array().size();
        }
        return n;
    }

    /** The parameters of the attached adapters, in layer, module and adapter order; empty without adapters. */
    public List<TrainableParameter> trainableParameters() {
        List<TrainableParameter> parameters = new ArrayList<>();
        for (int i = 0; i < decoder.layerCount(); i++) {
            for (String module : WeightNames.LINEAR_MODULES) {
                LinearAdapter adapter = linear(i, module).adapter();
                if (adapter != null) {
                    parameters.addAll(adapter.parameters());
                }
            }
        }
        return parameters;
    }

    /** The compute precision of products and attention, as {@link Kernels#description()} words it. */
    public String computeDescription() {
        return kernels.description();
    }

    /** Bytes held by base weights, on the device and the host (what quantization and bf16 compute shrink). */
    public long baseWeightBytes() {
        return deviceWeightBytes() + hostWeightBytes();
    }

    /** Device bytes held by base weights: decoder layers, head, final norm, and the embedding when it is there. */
    public long deviceWeightBytes() {
        long n = head.bytesHeld() + (embedding.onHost() ? 0 : embedding.bytesHeld());
        for (int i = 0; i < decoder.layerCount(); i++) {
            n += decoder.layer(i).bytesHeld();
        }
        return n;
    }

    /** How the decoder linears' frozen weights are held: their format, parameters and device bytes. */
    public LinearWeights linearWeights() {
        Set<String> formats = new TreeSet<>();
        long parameters = 0;
        long bytes = 0;
        for (int i = 0; i < decoder.layerCount(); i++) {
            for (String module : WeightNames.LINEAR_MODULES) {
                Linear linear = linear(i, module);
                formats.add(linear.format());
                parameters += linear.baseParameterCount();
                bytes += linear.bytesHeld();
            }
        }
        return new LinearWeights(String.join(" + ", formats), parameters, bytes);
    }

    /** Host bytes held by base weights: the embedding table when it lives there, else 0. */
    public long hostWeightBytes() {
        return embedding.onHost() ? embedding.bytesHeld() : 0;
    }

    /** Bytes held by the decoder linears alone (the part NF4 quantizes), biases excluded. */
    public long decoderLinearBytes() {
        long n = 0;
        for (int i = 0; i < decoder.layerCount(); i++) {
            for (String module : WeightNames.LINEAR_MODULES) {
                n += linear(i, module).weightBytesHeld();
            }
        }
        return n;
    }

    /** The layer inputs the last checkpointed {@link #forwardBackward} held at once, on the device and host. */
    public LayerInputs.KeptBytes checkpointBytes() {
        return lastKeptBytes;
    }

    /**
     * Forward and backward of a training batch: backpropagates sum(token losses) * lossScale, adding into the
     * adapter gradients (the caller zeroes them). Dropout is active, each row's masks a function of the options'
     * seed and the row's key only ({@link Batch#rowKeys()}), so a resumed run, or the same rows batched otherwise or
     * on another replica, draw the same masks. Returns the unscaled summed loss.
     */
    public LossSum forwardBackward(Batch batch, float lossScale) {
        if (trainableParameters().isEmpty()) {
            throw new IllegalStateException("the model has no trainable parameters: attach LoRA adapters first");
        }
        Targets targets = Targets.of(batch, config.vocabSize());
        if (targets.count() == 0) {
            return LossSum.ZERO;
        }
        try (NDManager stepManager = manager.newSubManager();
             NDScope scope = new NDScope();
             GradMode grad = GradMode.enabled()) {
            StepContext s = StepContext.training(stepManager, batch, options.seed(), kernels, rope, config,
                    mlpChunkRows());
            NDArray scale = stepManager.create(lossScale);
            if (!options.gradientCheckpointing()) {
                return Backward.full(decoder, head, s, batch.inputIds(), targets, scale);
            }
            try (LayerInputs inputs = new LayerInputs(kernels, options.offloadActivations())) {
                LossSum loss = Backward.checkpointed(decoder, head, s, batch.inputIds(), targets, scale, inputs);
                lastKeptBytes = inputs.peak();
                return loss;
            }
        }
    }

    /** Summed loss and correct next-token predictions of a batch, without gradients or dropout. */
    public LossSum loss(Batch batch) {
        Targets targets = Targets.of(batch, config.vocabSize());
        if (targets.count() == 0) {
            return LossSum.ZERO;
        }
        try (NDManager stepManager = manager.newSubManager();
             NDScope scope = new NDScope();
             GradMode grad = GradMode.disabled()) {
            StepContext s = StepContext.inference(stepManager, batch.batchSize(), batch.seqLen(), kernels, rope,
                    config, mlpChunkRows());
            return head.lossSum(decoder.forward(batch.inputIds(), s, null), targets, s, null);
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
            StepContext s = StepContext.inference(stepManager, 1, t, kernels, rope, config, mlpChunkRows());
            NDArray all = decoder.forward(tokenIds, s, null).reshape(t, config.hiddenSize()); // [T, D]
            NDArray rows = lastPositionOnly ? all.get(new NDIndex("{}:", t - 1)) : all;     // [T', D]
            float[] flat = head.logits(rows).toFloatArray();                                // [T' * V]
            int positions = (int) rows.getShape().get(0);
            float[][] out = new float[positions][];
            for (int p = 0; p < positions; p++) {
                out[p] = Arrays.copyOfRange(flat, p * config.vocabSize(), (p + 1) * config.vocabSize());
            }
            return out;
        }
    }

    private int mlpChunkRows() {
        return options.mlpChunkRows(config.intermediateSize());
    }

    @Override
    public void close() {
        decoder.close();
        kernels.close();
        manager.close();
        if (hostManager != null) {
            hostManager.close();
        }
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
}
