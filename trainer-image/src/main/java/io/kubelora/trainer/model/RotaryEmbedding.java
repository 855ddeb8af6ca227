package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Rotary tables for one model: inverse frequencies theta^(-2i/d), optionally rescaled (linear, llama3). */
final class RotaryEmbedding {

    private final int headDim;
    private final double[] inverseFrequencies; // [hd/2]

    RotaryEmbedding(ModelConfig config) {
        headDim = config.headDim();
        double[] base = new double[headDim / 2];
        for (int i = 0; i < base.length; i++) {
            base[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / headDim);
        }
        inverseFrequencies = config.ropeScaling() == null ? base : config.ropeScaling().scale(base);
    }

    /**
     * {cos, signedSin}, each [T, 1, hd] (broadcasting over heads), multiplied by {@code scale}. signedSin
     * holds -sin in the first half and sin in the second (see {@link TensorOps#rotate}).
     */
    NDArray[] tables(int seqLen, double scale, NDManager manager) {
        int half = headDim / 2;
        float[] cos = new float[seqLen * headDim];
        float[] sin = new float[seqLen * headDim];
        for (int t = 0; t < seqLen; t++) {
            for (int i = 0; i < half; i++) {
                double angle = t * inverseFrequencies[i];
                float c = (float) (Math.cos(angle) * scale);
                float s = (float) (Math.sin(angle) * scale);
                cos[t * headDim + i] = c;
                cos[t * headDim + half + i] = c;
                sin[t * headDim + i] = -s;
                sin[t * headDim + half + i] = s;
            }
        }
        Shape shape = new Shape(seqLen, 1, headDim);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }
}
