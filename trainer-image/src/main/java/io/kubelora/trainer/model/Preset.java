package io.kubelora.trainer.model;


/** Sizes of the random models {@link ModelInitializer} writes; the vocabulary comes from the tokenizer. */
public enum Preset {
    /** 2 layers, D 64, 4 heads / 2 KV heads, I 172: unit and end-to-end tests. */
    TINY(2, 64, 4, 2, 172),
    /** 4 layers, D 256, 8 heads / 4 KV heads, I 688: quick training demos. */
    SMALL(4, 256, 8, 4, 688),
    /** 6 layers, D 512, 8 heads / 4 KV heads, I 1408: throughput benchmarks. */
    BENCH(6, 512, 8, 4, 1408);

    private final int layers;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int intermediate;

    Preset(int layers, int hidden, int heads, int kvHeads, int intermediate) {
        this.layers = layers;
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.intermediate = intermediate;
    }

    /**
     * The config of this size for {@code architecture}, with the RoPE settings of the architecture's
     * current releases (Llama 3.2: theta 500000 and llama3 scaling; Mistral and Qwen2: theta 1e6; Qwen2 ties
     * its embeddings like its small models do).
     */
    public ModelConfig config(Architecture architecture, int vocabSize, String torchDtype) {
        RopeScaling scaling = architecture == Architecture.LLAMA ? RopeScaling.llama3(32.0, 1.0, 4.0, 8192) : null;
        double theta = architecture == Architecture.LLAMA ? 500_000.0 : 1_000_000.0;
        return ModelConfig.builder(architecture).hiddenSize(hidden).intermediateSize(intermediate)
                .numHiddenLayers(layers).numAttentionHeads(heads).numKeyValueHeads(kvHeads).rmsNormEps(1e-5)
                .ropeTheta(theta).ropeScaling(scaling).vocabSize(vocabSize)
                .tieWordEmbeddings(architecture == Architecture.QWEN2).torchDtype(torchDtype).build();
    }
}
