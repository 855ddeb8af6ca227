package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.quant.Nf4Weight;

/**
 * Makes the frozen weight of each decoder linear: dense (fp32, or bf16 for bf16 compute, filled a block of rows
 * at a time), or NF4 codes when the options ask for NF4 (QLoRA, quantized on the host so the device never holds
 * the weight in full precision). Embeddings, norms and lm_head never come through here and stay unquantized.
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
                    manager), kernels);
        }
        return new DenseWeight(HeldWeights.load(weights, name, shape, manager, kernels),
                kernels.heldBytesPerElement());
    }

    /**
     * An NF4 weight as a frozen base weight: dequantized on the device at every use, straight into the held
     * precision a block of rows at a time.
     */
    private record Nf4BaseWeight(Nf4Weight nf4, Kernels kernels) implements FrozenWeight {

        @Override
        public NDArray materialize(NDManager scope) {
            long[] shape = nf4.shape();
            return HeldWeights.assemble(shape[0], shape[1], kernels,
                    (from, to) -> nf4.materializeRows(scope, from, to));
        }

        @Override
        public boolean materializesCopy() {
            return true;
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
        public String format() {
            return nf4.doubleQuantized() ? "nf4 (double quant)" : "nf4";
        }

        @Override
        public void close() {
            nf4.close();
        }
    }
}
