package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.quant.Nf4Weight;

/**
 * Makes the frozen weight of each decoder linear: dense (fp32, or bf16 for bf16 compute), or NF4 codes
 * when the options ask for NF4 (QLoRA). Embeddings, norms and lm_head never come through here and stay unquantized.
 */
final class BaseWeightFactory {

    private final ModelOptions options;
    private final WeightSource weights;
    private final NDManager manager;
    private final Kernels kernels;

    BaseWeightFactory(ModelOptions options, WeightSource weights, NDManager manager, Kernels kernels) {
        this.options = options;
        this.weights = weights;
        this.manager = manager;
        this.kernels = kernels;
    }

    FrozenWeight create(String name, long[] shape) {
        if (options.nf4()) {
            float[] values = weights.loadFloats(name, shape);
            return new Nf4BaseWeight(Nf4Weight.quantize(values, shape[0], shape[1], options.nf4DoubleQuant(),
                    manager));
        }
        return new DenseWeight(kernels.hold(weights.load(name, shape, manager)), kernels.heldBytesPerElement());
    }

    /** An NF4 weight as a frozen base weight: dequantized on the device at every use. */
    private record Nf4BaseWeight(Nf4Weight nf4) implements FrozenWeight {

        @Override
        public NDArray materialize(NDManager scope) {
            return nf4.materialize(scope);
        }

        @Override
        public long[] shape() {
            return nf4.shape();
        }

        @Override
        public long bytesHeld() {
            return nf4.bytesHeld();
        }

        @Override
        public void close() {
            nf4.close();
        }
    }
}
