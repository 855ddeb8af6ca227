package io.kubelora.trainer.model;

import java.util.Locale;

/**
 * The frozen weights of a model's decoder linears as held on the device.
 *
 * @param format     fp32, bf16, nf4 or "nf4 (double quant)" (several joined by " + " if they differ)
 * @param parameters their parameters, biases included
 * @param bytesHeld  the device bytes they keep, scales and decode tables included
 */
public record LinearWeights(String format, long parameters, long bytesHeld) {

    /** Bits held per parameter: 32 for fp32, about 4.1 to 4.5 for NF4 (more for tiny layers). */
    public double bitsPerParameter() {
        return parameters == 0 ? 0 : 8.0 * bytesHeld / parameters;
    }

    /** "decoder linears: nf4 (double quant), 1,234,567 parameters in 0.6 MiB (4.13 bits each)" */
    public String describe() {
        return String.format(Locale.ROOT, "decoder linears held as %s: %,d parameters in %.1f MiB (%.2f bits each)",
                format, parameters, bytesHeld / (1024.0 * 1024.0), bitsPerParameter());
    }
}
