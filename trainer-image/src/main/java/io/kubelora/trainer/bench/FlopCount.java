package io.kubelora.trainer.bench;

import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.WeightNames;
import java.util.List;

/**
 * Training FLOPs per token of LoRA, the convention of bench/README.md (and of bench/peft/train_peft.py, which
 * computes the same): {@code 4 N + 6 N_lora + 12 L T H hd}. Frozen matmuls cost 2N forward and 2N backward to the
 * activations (no weight gradient); LoRA's matmuls also get weight gradients; attention's two T x T products per
 * layer cost 4 T H hd forward and twice that backward, with no causal discount. Checkpointing's recomputation is
 * not counted (MFU, not HFU).
 */
record FlopCount(long frozenMatmulWeights, long loraWeights, long attention) {

    static FlopCount of(ModelConfig config, int seqLen, int rank, List<String> targets) {
        long perLayer = 0;
        for (String module : WeightNames.LINEAR_MODULES) {
            long[] shape = config.linearShape(module); // [out, in]
            perLayer += shape[0] * shape[1];
        }
        long n = config.numHiddenLayers() * perLayer + (long) config.vocabSize() * config.hiddenSize(); // + lm_head
        long attention = 12L * config.numHiddenLayers() * seqLen * config.numAttentionHeads() * config.headDim();
        return new FlopCount(n, config.loraParameterCount(rank, targets), attention);
    }

    long perToken() {
        return 4 * frozenMatmulWeights + 6 * loraWeights + attention;
    }
}
