package io.kubelora.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.model.Dropout;
import io.kubelora.trainer.model.InPlace;
import io.kubelora.trainer.model.LinearAdapter;
import io.kubelora.trainer.model.TrainableParameter;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable low-rank update of one frozen linear (Hu et al. 2021): delta(x) = scaling * dropout(x) A^T B^T
 * with A [r, in] initialised kaiming-uniform (a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in))) and B [out, r]
 * zeros, so a fresh adapter leaves the model unchanged. A and B are fp32 arrays with gradients.
 */
public final class LoraAdapter implements LinearAdapter {

    private final String keyA;
    private final String keyB;
    private final NDArray a;       // [r, in]
    private final NDArray b;       // [out, r]
    private final NDArray scaling; // scalar, kept alive for backward
    private final float dropoutRate;

    private LoraAdapter(String keyA, String keyB, NDArray a, NDArray b, NDArray scaling, float dropoutRate) {
        this.keyA = keyA;
        this.keyB = keyB;
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.dropoutRate = dropoutRate;
    }

    /**
     * A fresh adapter for a linear [out, in].
     *
     * @param keyA    PEFT key of A
     * @param keyB    PEFT key of B
     * @param random  source of A's initial values
     * @param manager long-lived owner of the parameters
     */
    public static LoraAdapter create(String keyA, String keyB, long out, long in, int rank, double scaling,
                                     double dropout, SplittableRandom random, NDManager manager) {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        }
        float[] initialA = new float[Math.toIntExact(rank * in)];
        double bound = 1.0 / Math.sqrt(in);
        for (int i = 0; i < initialA.length; i++) {
            initialA[i] = (float) random.nextDouble(-bound, bound);
        }
        NDArray a = manager.create(initialA, new Shape(rank, in));
        NDArray b = manager.zeros(new Shape(out, rank));
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        return new LoraAdapter(keyA, keyB, a, b, manager.create((float) scaling), (float) dropout);
    }

    /** scaling * dropout(x) A^T B^T for x [..., in], giving [..., out]. */
    @Override
    public NDArray delta(NDArray x, Dropout dropout) {
        NDArray input = dropout.apply(x, dropoutRate);
        NDArray down = JniUtils.linear((PtNDArray) input, (PtNDArray) a, null); // [..., r]
        return JniUtils.linear((PtNDArray) down.mul(scaling), (PtNDArray) b, null); // [..., out]
    }

    /** A then B, with their PEFT keys. */
    @Override
    public List<TrainableParameter> parameters() {
        return List.of(new TrainableParameter(keyA, a), new TrainableParameter(keyB, b));
    }

    /** Overwrites A and B in place (the arrays, and so any optimizer holding them, stay the same). */
    public void set(float[] valuesA, float[] valuesB) {
        InPlace.assign(a, valuesA);
        InPlace.assign(b, valuesB);
    }

    @Override
    public void close() {
        a.close();
        b.close();
        scaling.close();
    }
}
