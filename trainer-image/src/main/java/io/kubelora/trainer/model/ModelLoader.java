package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.api.LoraSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a {@link CausalLm} from config and weights, checking every tensor's presence and shape. */
final class ModelLoader {

    private ModelLoader() {
    }

    static CausalLm load(ModelConfig config, ModelOptions options, WeightLoader weights, NDManager manager,
                         Kernels kernels) {
        long v = config.vocabSize();
        long d = config.hiddenSize();
        NDArray embed = weights.load(WeightNames.EMBED_TOKENS, new long[] {v, d}, manager);
        NDArray lmHead;
        if (config.tieWordEmbeddings()) {
            lmHead = embed;
        } else if (weights.contains(WeightNames.LM_HEAD)) {
            lmHead = weights.load(WeightNames.LM_HEAD, new long[] {v, d}, manager);
        } else {
            throw new ModelLoadException(weights.folder() + ": weights have no tensor '" + WeightNames.LM_HEAD
                    + "' and config.json does not set tie_word_embeddings");
        }
        NDArray finalNorm = weights.load(WeightNames.FINAL_NORM, new long[] {d}, manager);
        NDArray eps = manager.create((float) config.rmsNormEps());
        BaseWeightFactory factory = new BaseWeightFactory(options, weights, manager, kernels);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            Map<String, Linear> linears = new LinkedHashMap<>();
            for (String module : LoraSpec.LINEAR_MODULES) {
                long[] shape = config.linearShape(module);
                NDArray bias = config.hasBias(module)
                        ? weights.load(WeightNames.bias(i, module), new long[] {shape[0]}, manager) : null;
                linears.put(module, new Linear(factory.create(WeightNames.weight(i, module), shape), bias));
            }
            layers.add(new DecoderLayer(config,
                    weights.load(WeightNames.inputNorm(i), new long[] {d}, manager),
                    weights.load(WeightNames.postAttentionNorm(i), new long[] {d}, manager), eps, linears));
        }
        return CausalLm.assemble(config, options, manager, kernels, embed, finalNorm, lmHead, eps, layers);
    }
}
