package io.kubelora.trainer.doctor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.quant.Nf4Tensor;
import io.kubelora.trainer.quant.Nf4Weight;
import java.util.SplittableRandom;

/**
 * One NF4 weight, quantized on the host with double quantization and dequantized on a device with the tensor ops
 * QLoRA training uses ({@link Nf4Weight#materialize}); its shape does not fill the last block, so the padding path
 * runs too. The host's own dequantization ({@link Nf4Tensor#dequantize}) is the reference.
 */
final class Nf4Probe {

    static final int OUT = 100;
    static final int IN = 333;

    private final Nf4Tensor tensor;

    Nf4Probe() {
        SplittableRandom random = new SplittableRandom(LoraProbe.SEED);
        float[] weight = new float[OUT * IN];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) (0.02 * random.nextGaussian());
        }
        tensor = Nf4Tensor.quantize(weight, OUT, IN, true);
    }

    /** "[100, 333], double-quantized scales". */
    String describe() {
        return "[" + OUT + ", " + IN + "], double-quantized scales";
    }

    float[] reference() {
        return tensor.dequantize();
    }

    float[] dequantizedOn(Device device) {
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch");
             Nf4Weight weight = Nf4Weight.upload(tensor, manager);
             NDManager scope = manager.newSubManager()) {
            NDArray values = weight.materialize(scope);
            return values.toFloatArray();
        }
    }

    /** The largest absolute difference of two equally long arrays (NaN anywhere makes it NaN). */
    static double maxAbsDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }
}
