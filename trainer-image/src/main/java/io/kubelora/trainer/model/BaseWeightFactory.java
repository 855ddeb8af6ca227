package io.kubelora.trainer.model;

import ai.djl.ndarray.NDManager;
import io.kubelora.api.Quantization;
import io.kubelora.trainer.quant.Nf4Weight;

/**
 * Makes the frozen weight of each decoder linear: dense (fp32, or bf16 for bf16 compute), or NF4 codes
 * when quantization is NF4 (QLoRA). Embeddings, norms and lm_head never come through here and stay unquantized.
 */
final class BaseWeightFactory {

    private final ModelOptions options;
    private final WeightLoader weights;
    private final NDManager manager;
    private final Kernels kernels;

    BaseWeightFactory(ModelOptions options, WeightLoader weights, NDManager manager, Kernels kernels) {
        this.options = options;
        this.weights = weights;
        this.manager = manager;
        this.kernels = kernels;
    }

    FrozenWeight create(String name, long[] shape) {
        if (options.quantization() == Quantization.NF4) {
            float[] values = weights.loadFloats(name, shape);
            return Nf4Weight.quantize(values, shape[0], shape[1], options.quantizationConfig().doubleQuant(),
                    manager);
        }
        return new DenseWeight(kernels.hold(weights.load(name, shape, manager)), kernels.heldBytesPerElement());
    }
}
