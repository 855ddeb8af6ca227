package io.kubelora.trainer.model;

import java.util.Map;

/**
 * An independent float64 forward of the Llama-family decoder in plain Java (no DJL), written from the
 * Hugging Face modeling code: the yardstick for {@link CausalLm}. Reads weights by their HF names.
 */
final class ReferenceForward {

    private final ModelConfig c;
    private final Map<String, float[]> w;

    ReferenceForward(ModelConfig config, Map<String, float[]> weights) {
        this.c = config;
        this.w = weights;
    }

    /** Logits [T][V] for one sequence. */
    double[][] logits(long[] ids) {
        int t = ids.length;
        int d = c.hiddenSize();
        double[][] x = new double[t][d];
        float[] embed = w.get("model.embed_tokens.weight");
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d; i++) {
                x[p][i] = embed[(int) ids[p] * d + i];
            }
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            x = layer(layer, x);
        }
        float[] head = w.get(c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
        double[][] logits = new double[t][];
        for (int p = 0; p < t; p++) {
            logits[p] = matVec(head, null, rmsNorm(x[p], w.get("model.norm.weight")), c.vocabSize(), d);
        }
        return logits;
    }

    /** Sum over positions of -log softmax(logits)[target], skipping targets of -100. */
    double lossSum(long[] ids, long[] targets) {
        double[][] logits = logits(ids);
        double sum = 0;
        for (int p = 0; p < ids.length; p++) {
            if (targets[p] == -100) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[p]) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (double v : logits[p]) {
                z += Math.exp(v - max);
            }
            sum -= logits[p][(int) targets[p]] - max - Math.log(z);
        }
        return sum;
    }

    private double[][] layer(int layer, double[][] x) {
        String prefix = "model.layers." + layer + ".";
        int t = x.length;
        int d = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int hd = c.headDim();
        double[][] q = new double[t][];
        double[][] k = new double[t][];
        double[][] v = new double[t][];
        for (int p = 0; p < t; p++) {
            double[] h = rmsNorm(x[p], w.get(prefix + "input_layernorm.weight"));
            q[p] = matVec(w.get(prefix + "self_attn.q_proj.weight"), w.get(prefix + "self_attn.q_proj.bias"), h,
                    heads * hd, d);
            k[p] = matVec(w.get(prefix + "self_attn.k_proj.weight"), w.get(prefix + "self_attn.k_proj.bias"), h,
                    kvHeads * hd, d);
            v[p] = matVec(w.get(prefix + "self_attn.v_proj.weight"), w.get(prefix + "self_attn.v_proj.bias"), h,
                    kvHeads * hd, d);
            rope(q[p], heads, p);
            rope(k[p], kvHeads, p);
        }
        double[][] out = new double[t][];
        for (int p = 0; p < t; p++) {
            double[] attention = new double[heads * hd];
            for (int head = 0; head < heads; head++) {
                int kv = head / (heads / kvHeads); // HF repeat_kv: query head h reads KV head h / groups
                int first = c.slidingWindow() == null ? 0 : Math.max(0, p - c.slidingWindow() + 1);
                double[] scores = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j <= p; j++) {
                    double s = 0;
                    for (int i = 0; i < hd; i++) {
                        s += q[p][head * hd + i] * k[j][kv * hd + i];
                    }
                    scores[j] = s / Math.sqrt(hd);
                    max = Math.max(max, scores[j]);
                }
                double z = 0;
                for (int j = first; j <= p; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    z += scores[j];
                }
                for (int j = first; j <= p; j++) {
                    for (int i = 0; i < hd; i++) {
                        attention[head * hd + i] += scores[j] / z * v[j][kv * hd + i];
                    }
                }
            }
            double[] o = matVec(w.get(prefix + "self_attn.o_proj.weight"), w.get(prefix + "self_attn.o_proj.bias"),
                    attention, d, heads * hd);
            double[] mid = new double[d];
            for (int i = 0; i < d; i++) {
                mid[i] = x[p][i] + o[i];
            }
            double[] h2 = rmsNorm(mid, w.get(prefix + "post_attention_layernorm.weight"));
            int inter = c.intermediateSize();
            double[] gate = matVec(w.get(prefix + "mlp.gate_proj.weight"), null, h2, inter, d);
            double[] up = matVec(w.get(prefix + "mlp.up_proj.weight"), null, h2, inter, d);
            double[] act = new double[inter];
            for (int i = 0; i < inter; i++) {
                act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            }
            double[] down = matVec(w.get(prefix + "mlp.down_proj.weight"), null, act, d, inter);
            out[p] = new double[d];
            for (int i = 0; i < d; i++) {
                out[p][i] = mid[i] + down[i];
            }
        }
        return out;
    }

    /** HF apply_rotary_pos_emb with rotate_half: pairs (i, i + hd/2) rotate by position * inv_freq[i]. */
    private void rope(double[] vec, int heads, int position) {
        int hd = c.headDim();
        int half = hd / 2;
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < half; i++) {
                double angle = position * inverseFrequency(i);
                double x1 = vec[head * hd + i];
                double x2 = vec[head * hd + half + i];
                vec[head * hd + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                vec[head * hd + half + i] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
            }
        }
    }

    /** transformers' _compute_default_rope_parameters and _compute_llama3_parameters, for one frequency. */
    private double inverseFrequency(int i) {
        double f = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
        RopeScaling s = c.ropeScaling();
        if (s == null) {
            return f;
        }
        if (s.type().equals("linear")) {
            return f / s.factor();
        }
        double old = s.originalMaxPositionEmbeddings();
        double wavelen = 2 * Math.PI / f;
        double scaled = wavelen > old / s.lowFreqFactor() ? f / s.factor() : f;
        double smooth = (old / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        boolean medium = !(wavelen < old / s.highFreqFactor()) && !(wavelen > old / s.lowFreqFactor());
        return medium ? (1 - smooth) * scaled / s.factor() + smooth * scaled : scaled;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double meanSquare = 0;
        for (double v : x) {
            meanSquare += v * v;
        }
        meanSquare /= x.length;
        double inv = 1 / Math.sqrt(meanSquare + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv * weight[i];
        }
        return y;
    }

    private static double[] matVec(float[] weight, float[] bias, double[] x, int out, int in) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : bias[o];
            for (int i = 0; i < in; i++) {
                s += weight[o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }
}
