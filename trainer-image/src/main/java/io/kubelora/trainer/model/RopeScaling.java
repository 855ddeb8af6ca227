package io.kubelora.trainer.model;

/**
 * config.json {@code rope_scaling}: "linear" (positions divided by factor) or Llama 3.x "llama3"
 * (low frequencies divided by factor, high ones kept, a smooth blend between).
 *
 * @param type                          "linear" or "llama3"
 * @param factor                        frequency divisor
 * @param lowFreqFactor                 llama3 only
 * @param highFreqFactor                llama3 only
 * @param originalMaxPositionEmbeddings llama3 only: the context length the model was pre-trained at
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {

    public static final String LINEAR = "linear";
    public static final String LLAMA3 = "llama3";

    public static RopeScaling linear(double factor) {
        return new RopeScaling(LINEAR, factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositionEmbeddings) {
        return new RopeScaling(LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    /**
     * Applies the scaling to the standard inverse frequencies theta^(-2i/d), following the
     * Hugging Face reference (transformers' rope init functions).
     */
    double[] scale(double[] inverseFrequencies) {
        double[] scaled = new double[inverseFrequencies.length];
        if (type.equals(LINEAR)) {
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] = inverseFrequencies[i] / factor;
            }
            return scaled;
        }
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        for (int i = 0; i < scaled.length; i++) {
            double frequency = inverseFrequencies[i];
            double wavelen = 2 * Math.PI / frequency;
            if (wavelen < highFreqWavelen) {
                scaled[i] = frequency;
            } else if (wavelen > lowFreqWavelen) {
                scaled[i] = frequency / factor;
            } else {
                double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                        / (highFreqFactor - lowFreqFactor);
                scaled[i] = (1 - smooth) * frequency / factor + smooth * frequency;
            }
        }
        return scaled;
    }
}
