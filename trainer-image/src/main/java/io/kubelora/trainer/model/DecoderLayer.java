package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pre-norm decoder block of the Llama family:
 * x + Attn(RMSNorm(x)), then h + MLP(RMSNorm(h)) with grouped-query attention, RoPE, a causal mask and
 * a SwiGLU MLP, down(silu(gate(h)) * up(h)).
 */
final class DecoderLayer implements AutoCloseable {

    private final ModelConfig config;
    private final NDArray inputNorm;         // [D]
    private final NDArray postAttentionNorm; // [D]
    private final NDArray eps;               // scalar, owned by the model
    private final Map<String, Linear> linears; // q_proj .. down_proj, in decoder order

    DecoderLayer(ModelConfig config, NDArray inputNorm, NDArray postAttentionNorm, NDArray eps,
                 Map<String, Linear> linears) {
        this.config = config;
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.eps = eps;
        this.linears = new LinkedHashMap<>(linears);
        if (!this.linears.keySet().equals(new HashSet<>(WeightNames.LINEAR_MODULES))) {
            throw new IllegalArgumentException("a decoder layer needs " + WeightNames.LINEAR_MODULES);
        }
    }

    /** Reads layer {@code i}: its norms, and its linears through {@code factory} (dense or NF4). */
    static DecoderLayer load(int i, ModelConfig config, WeightSource weights, BaseWeightFactory factory,
                             NDManager manager, NDArray eps) {
        Map<String, Linear> linears = new LinkedHashMap<>();
        List<String> modules = WeightNames.LINEAR_MODULES;
        for (int m = 0; m < modules.size(); m++) {
            String module = modules.get(m);
            long[] shape = config.linearShape(module);
            NDArray bias = config.hasBias(module)
                    ? weights.load(WeightNames.bias(i, module), new long[] {shape[0]}, manager) : null;
            linears.put(module, new Linear(factory.create(WeightNames.weight(i, module), shape), bias,
                    i * modules.size() + m));
        }
        long[] norm = {config.hiddenSize()};
        return new DecoderLayer(config, weights.load(WeightNames.inputNorm(i), norm, manager),
                weights.load(WeightNames.postAttentionNorm(i), norm, manager), eps, linears);
    }

    /** x [B, T, D] -> [B, T, D]. */
    NDArray forward(NDArray x, StepContext s) {
        int b = s.batchSize;
        int t = s.seqLen;
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();

        NDArray h = TensorOps.rmsNorm(x, inputNorm, eps);                               // [B, T, D]
        NDArray q = linear("q_proj").forward(h, s).reshape(b, t, heads, hd);            // [B, T, H, hd]
        NDArray k = linear("k_proj").forward(h, s).reshape(b, t, kvHeads, hd);          // [B, T, KV, hd]
        NDArray v = linear("v_proj").forward(h, s).reshape(b, t, kvHeads, hd);          // [B, T, KV, hd]
        q = TensorOps.rotate(q, s.queryCos, s.querySin, hd);                            // scaled by 1/sqrt(hd)
        k = TensorOps.rotate(k, s.keyCos, s.keySin, hd);

        // Query head j*G+g reads key/value head j (grouped-query attention, K and V never repeated).
        NDArray attention = s.kernels.attention(q.transpose(0, 2, 1, 3),                 // [B, H, T, hd]
                        k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3), s.causalMask) // [B, KV, T, hd] x2
                .transpose(0, 2, 1, 3)                                                  // [B, T, H, hd]
                .reshape(b, t, (long) heads * hd);                                      // [B, T, H*hd]
        NDArray afterAttention = x.add(linear("o_proj").forward(attention, s));        // [B, T, D]

        NDArray h2 = TensorOps.rmsNorm(afterAttention, postAttentionNorm, eps);         // [B, T, D]
        NDArray gated = TensorOps.silu(linear("gate_proj").forward(h2, s))              // [B, T, I]
                .mul(linear("up_proj").forward(h2, s));
        return afterAttention.add(linear("down_proj").forward(gated, s));              // [B, T, D]
    }

    Linear linear(String module) {
        return linears.get(module);
    }

    long baseParameterCount() {
        long n = inputNorm.size() + postAttentionNorm.size();
        for (Linear l : linears.values()) {
            n += l.baseParameterCount();
        }
        return n;
    }

    long bytesHeld() {
        long n = (inputNorm.size() + postAttentionNorm.size()) * 4;
        for (Linear l : linears.values()) {
            n += l.bytesHeld();
        }
        return n;
    }

    @Override
    public void close() {
        inputNorm.close();
        postAttentionNorm.close();
        linears.values().forEach(Linear::close);
    }
}
