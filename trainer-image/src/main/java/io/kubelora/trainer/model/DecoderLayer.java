package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pre-norm decoder block of the Llama family, in two halves: the attention half a = x + Attn(RMSNorm(x)) with
 * grouped-query attention and RoPE, then the MLP half a + MLP(RMSNorm(a)) with a SwiGLU MLP,
 * down(silu(gate(h)) * up(h)). The MLP works on chunks of token rows (it is token-wise), so its [rows, I]
 * activations, the largest of a layer, exist for one chunk at a time when nothing else needs them.
 */
final class DecoderLayer implements AutoCloseable {

    private final NDArray inputNorm;           // [D]
    private final NDArray postAttentionNorm;   // [D]
    private final Map<String, Linear> linears; // q_proj .. down_proj, in decoder order

    DecoderLayer(NDArray inputNorm, NDArray postAttentionNorm, Map<String, Linear> linears) {
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.linears = new LinkedHashMap<>(linears);
        if (!this.linears.keySet().equals(new HashSet<>(WeightNames.LINEAR_MODULES))) {
            throw new IllegalArgumentException("a decoder layer needs " + WeightNames.LINEAR_MODULES);
        }
    }

    /** Reads layer {@code i}: its norms, and its linears through {@code factory} (dense or NF4). */
    static DecoderLayer load(int i, ModelConfig config, WeightSource weights, BaseWeightFactory factory,
                             NDManager manager) {
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
        return new DecoderLayer(weights.load(WeightNames.inputNorm(i), norm, manager),
                weights.load(WeightNames.postAttentionNorm(i), norm, manager), linears);
    }

    /** The attention half: x [B, T, D] -> x + o_proj(attention(q, k, v)) over h = RMSNorm(x). */
    NDArray attend(NDArray x, StepContext s) {
        return TensorOps.scoped(() -> {
            NDArray h = s.kernels.rmsNorm(x, inputNorm);                               // [B, T, D]
            NDArray q = linear("q_proj").forward(h, s);                                // [B, T, H*hd]
            NDArray k = linear("k_proj").forward(h, s);                                // [B, T, KV*hd]
            NDArray v = linear("v_proj").forward(h, s);                                // [B, T, KV*hd]
            h.close();
            NDArray heads = s.kernels.attention(q, k, v, s);                           // [B, T, H*hd]
            q.close();
            k.close();
            v.close();
            NDArray o = linear("o_proj").forward(heads, s);                            // [B, T, D]
            heads.close();
            return x.add(o);
        });
    }

    /**
     * The MLP half over chunks of s.mlpChunkRows token rows: a [B, T, D] -> a + MLP(RMSNorm(a)). Without a graph
     * each chunk's result goes straight into the output; with one the chunks are concatenated (autograd keeps the
     * chunks' tensors anyway).
     */
    NDArray feedForward(NDArray a, StepContext s) {
        long n = s.tokens();
        if (s.mlpChunkRows >= n) {
            try (MlpWeights w = mlpWeights(s)) {
                return feedForwardRows(a, s, w, 0);
            }
        }
        long d = a.getShape().get(2);
        boolean graph = JniUtils.isGradMode();
        NDList parts = new NDList();
        NDArray out = graph ? null : s.manager.create(new Shape(n, d), DataType.FLOAT32);  // [N, D]
        try (MlpWeights w = mlpWeights(s);
             NDArray rows = a.reshape(n, d)) {                                         // [N, D]
            for (long from = 0; from < n; from += s.mlpChunkRows) {
                NDIndex range = new NDIndex("{}:{}", from, Math.min(n, from + s.mlpChunkRows));
                try (NDArray chunk = rows.get(range)) {
                    NDArray part = feedForwardRows(chunk, s, w, from);                       // [n', D]
                    if (graph) {
                        parts.add(part);
                    } else {
                        try (part) {
                            out.set(range, part);
                        }
                    }
                }
            }
            if (!graph) {
                try (out) {
                    return out.reshape(a.getShape());                                  // [B, T, D]
                }
            }
            return TensorOps.scoped(() -> NDArrays.concat(parts, 0).reshape(a.getShape())); // [B, T, D]
        } finally {
            parts.close();
        }
    }

    /**
     * The MLP half of some token rows a [..., D] -> a + down(silu(gate(h)) * up(h)), h = RMSNorm(a): the step's token
     * rows (b * T + t) from {@code firstToken} on.
     */
    NDArray feedForwardRows(NDArray a, StepContext s, MlpWeights w, long firstToken) {
        return TensorOps.scoped(() -> {
            NDArray h = s.kernels.rmsNorm(a, postAttentionNorm);                      // [..., D]
            NDArray gate = linear("gate_proj").forward(h, s, w.gate, firstToken);      // [..., I]
            NDArray up = linear("up_proj").forward(h, s, w.up, firstToken);            // [..., I]
            h.close();
            NDArray gated = s.kernels.swiglu(gate, up);                                // [..., I]
            gate.close();
            up.close();
            NDArray down = linear("down_proj").forward(gated, s, w.down, firstToken);  // [..., D]
            gated.close();
            return a.add(down);
        });
    }

    /** The MLP's base weights in use for the chunks of one pass (NF4 ones dequantized once for all chunks). */
    MlpWeights mlpWeights(StepContext s) {
        Linear.InUse gate = linear("gate_proj").use(s);
        Linear.InUse up = linear("up_proj").use(s);
        return new MlpWeights(gate, up, linear("down_proj").use(s));
    }

    /** The gate, up and down weights of one pass over the MLP's chunks. */
    record MlpWeights(Linear.InUse gate, Linear.InUse up, Linear.InUse down) implements AutoCloseable {
        @Override
        public void close() {
            gate.close();
            up.close();
            down.close();
        }
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
