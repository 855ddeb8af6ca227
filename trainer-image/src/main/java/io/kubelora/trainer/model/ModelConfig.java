package io.kubelora.trainer.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The fields of a Hugging Face {@code config.json} the decoder needs ({@link ModelConfigJson} reads and writes
 * the file). Optional fields get the defaults of the transformers config classes.
 *
 * @param architecture          from {@code architectures[0]}
 * @param hiddenSize            model width D
 * @param intermediateSize      MLP width I
 * @param numHiddenLayers       decoder layers L
 * @param numAttentionHeads     query heads H
 * @param numKeyValueHeads      key/value heads (GQA), divides H; defaults to H
 * @param headDim               per-head width; defaults to D / H
 * @param rmsNormEps            RMSNorm epsilon
 * @param ropeTheta             RoPE base
 * @param ropeScaling           null for plain RoPE
 * @param vocabSize             V
 * @param tieWordEmbeddings     lm_head shares the embedding matrix
 * @param torchDtype            storage dtype name, e.g. "bfloat16"
 * @param attentionBias         q/k/v projections have a bias (always for Qwen2; Llama also biases o_proj)
 * @param maxPositionEmbeddings longest supported context
 * @param slidingWindow         Mistral sliding-window attention span, null for full causal attention
 * @param bosTokenId            may be null
 * @param eosTokenIds           one or more ids (Llama 3 lists several)
 * @param padTokenId            may be null
 */
public record ModelConfig(
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int vocabSize,
        boolean tieWordEmbeddings,
        String torchDtype,
        boolean attentionBias,
        int maxPositionEmbeddings,
        Integer slidingWindow,
        Long bosTokenId,
        List<Long> eosTokenIds,
        Long padTokenId) {

    public static final String FILE_NAME = "config.json";

    public ModelConfig {
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("vocab_size", vocabSize);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
        if (rmsNormEps <= 0 || ropeTheta <= 0) {
            throw new IllegalArgumentException("rms_norm_eps and rope_theta must be positive");
        }
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Whether o_proj has a bias (Llama with attention_bias). */
    public boolean outputProjectionBias() {
        return attentionBias && architecture == Architecture.LLAMA;
    }

    /** [out, in] of a decoder linear. */
    public long[] linearShape(String module) {
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        return switch (module) {
            case "q_proj" -> new long[] {q, hiddenSize};
            case "k_proj", "v_proj" -> new long[] {kv, hiddenSize};
            case "o_proj" -> new long[] {hiddenSize, q};
            case "gate_proj", "up_proj" -> new long[] {intermediateSize, hiddenSize};
            case "down_proj" -> new long[] {hiddenSize, intermediateSize};
            default -> throw new IllegalArgumentException("not a decoder linear: '" + module + "'");
        };
    }

    /** Parameters of the checkpoint: every tensor of {@link ModelInitializer#tensorShapes} (a tied head once). */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : ModelInitializer.tensorShapes(this).values()) {
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            n += elements;
        }
        return n;
    }

    /** LoRA weights of rank {@code rank} on the given decoder linears: rank * (in + out) per layer and module. */
    public long loraParameterCount(int rank, List<String> modules) {
        long perLayer = 0;
        for (String module : modules) {
            long[] shape = linearShape(module); // [out, in]
            perLayer += (long) rank * (shape[0] + shape[1]);
        }
        return perLayer * numHiddenLayers;
    }

    /** Whether the decoder linear {@code module} carries a bias. */
    public boolean hasBias(String module) {
        return switch (module) {
            case "q_proj", "k_proj", "v_proj" -> attentionBias;
            case "o_proj" -> outputProjectionBias();
            default -> false;
        };
    }

    /** Reads {@code modelDir/config.json}; a missing or malformed field is an error naming file and field. */
    public static ModelConfig read(Path modelDir) {
        return ModelConfigJson.read(modelDir);
    }

    /** Writes this config as {@code modelDir/config.json}, with the Hugging Face field names. */
    public void write(Path modelDir) throws IOException {
        ModelConfigJson.write(this, modelDir);
    }

    /** A builder with the transformers defaults of {@code architecture}; the sizes must be set. */
    public static Builder builder(Architecture architecture) {
        return new Builder(architecture);
    }

    /** A builder holding this config, to change some fields. */
    public Builder toBuilder() {
        return new Builder(architecture).hiddenSize(hiddenSize).intermediateSize(intermediateSize)
                .numHiddenLayers(numHiddenLayers).numAttentionHeads(numAttentionHeads)
                .numKeyValueHeads(numKeyValueHeads).headDim(headDim).rmsNormEps(rmsNormEps).ropeTheta(ropeTheta)
                .ropeScaling(ropeScaling).vocabSize(vocabSize).tieWordEmbeddings(tieWordEmbeddings)
                .torchDtype(torchDtype).attentionBias(attentionBias).maxPositionEmbeddings(maxPositionEmbeddings)
                .slidingWindow(slidingWindow).bosTokenId(bosTokenId).eosTokenIds(eosTokenIds).padTokenId(padTokenId);
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    /**
     * Builds a config field by field. Unset fields take the defaults of the transformers config classes (as a
     * config.json without them would): key/value heads = heads, head dim = hidden / heads, eps 1e-6, theta 10000,
     * float32, q/k/v bias for Qwen2 only, 2048 positions.
     */
    public static final class Builder {
        private final Architecture architecture;
        private int hiddenSize;
        private int intermediateSize;
        private int numHiddenLayers;
        private int numAttentionHeads;
        private Integer numKeyValueHeads;
        private Integer headDim;
        private double rmsNormEps = 1e-6;
        private double ropeTheta = 10000.0;
        private RopeScaling ropeScaling;
        private int vocabSize;
        private boolean tieWordEmbeddings;
        private String torchDtype = "float32";
        private boolean attentionBias;
        private int maxPositionEmbeddings = 2048;
        private Integer slidingWindow;
        private Long bosTokenId;
        private List<Long> eosTokenIds = List.of();
        private Long padTokenId;

        private Builder(Architecture architecture) {
            this.architecture = architecture;
            this.attentionBias = architecture == Architecture.QWEN2;
        }

        public Builder hiddenSize(int value) {
            hiddenSize = value;
            return this;
        }

        public Builder intermediateSize(int value) {
            intermediateSize = value;
            return this;
        }

        public Builder numHiddenLayers(int value) {
            numHiddenLayers = value;
            return this;
        }

        public Builder numAttentionHeads(int value) {
            numAttentionHeads = value;
            return this;
        }

        public Builder numKeyValueHeads(int value) {
            numKeyValueHeads = value;
            return this;
        }

        public Builder headDim(int value) {
            headDim = value;
            return this;
        }

        public Builder rmsNormEps(double value) {
            rmsNormEps = value;
            return this;
        }

        public Builder ropeTheta(double value) {
            ropeTheta = value;
            return this;
        }

        public Builder ropeScaling(RopeScaling value) {
            ropeScaling = value;
            return this;
        }

        public Builder vocabSize(int value) {
            vocabSize = value;
            return this;
        }

        public Builder tieWordEmbeddings(boolean value) {
            tieWordEmbeddings = value;
            return this;
        }

        public Builder torchDtype(String value) {
            torchDtype = value;
            return this;
        }

        public Builder attentionBias(boolean value) {
            attentionBias = value;
            return this;
        }

        public Builder maxPositionEmbeddings(int value) {
            maxPositionEmbeddings = value;
            return this;
        }

        public Builder slidingWindow(Integer value) {
            slidingWindow = value;
            return this;
        }

        public Builder bosTokenId(Long value) {
            bosTokenId = value;
            return this;
        }

        public Builder eosTokenIds(List<Long> value) {
            eosTokenIds = value;
            return this;
        }

        public Builder padTokenId(Long value) {
            padTokenId = value;
            return this;
        }

        public ModelConfig build() {
            int heads = numAttentionHeads;
            return new ModelConfig(architecture, hiddenSize, intermediateSize, numHiddenLayers, heads,
                    numKeyValueHeads != null ? numKeyValueHeads : heads,
                    headDim != null ? headDim : (heads > 0 ? hiddenSize / heads : 0), rmsNormEps, ropeTheta,
                    ropeScaling, vocabSize, tieWordEmbeddings, torchDtype, attentionBias, maxPositionEmbeddings,
                    slidingWindow, bosTokenId, eosTokenIds, padTokenId);
        }
    }
}
