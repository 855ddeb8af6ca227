package io.kubelora.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.model.TrainableParameter;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter 2019: Adam with decoupled weight decay) over the fp32 LoRA parameters.
 *
 * <p>Runs libtorch's fused Adam kernel in AdamW mode. That kernel clips each gradient element one-sided, so
 * its clip is disabled and global-norm clipping enters as the gradient rescale factor instead.
 */
public final class AdamW implements AutoCloseable {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final List<TrainableParameter> parameters;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final float weightDecay;
    private long steps;

    public AdamW(List<TrainableParameter> parameters, double weightDecay, NDManager manager) {
        this.parameters = List.copyOf(parameters);
        this.weightDecay = (float) weightDecay;
        for (TrainableParameter p : this.parameters) {
            firstMoments.add(manager.zeros(p.array().getShape()));
            secondMoments.add(manager.zeros(p.array().getShape()));
        }
    }

    /**
     * One update of every parameter from its accumulated gradient times {@code gradientScale}
     * (the global-norm clipping factor, 1 when not clipping).
     */
    public void step(double learningRate, double gradientScale) {
        steps++;
        // Bias correction folded into the step size, as the fused kernel expects.
        double correction = Math.sqrt(1 - Math.pow(BETA2, steps)) / (1 - Math.pow(BETA1, steps));
        for (int i = 0; i < parameters.size(); i++) {
            NDArray weight = parameters.get(i).array();
            try (NDArray grad = weight.getGradient()) {
                NDList inputs = new NDList(weight, grad, firstMoments.get(i), secondMoments.get(i));
                weight.getNDArrayInternal().adamUpdate(inputs, new NDList(weight), (float) learningRate,
                        (float) (learningRate * correction), weightDecay, (float) gradientScale,
                        Float.MAX_VALUE, BETA1, BETA2, EPSILON, false, true);
            }
        }
    }

    /** Sets every accumulated gradient to zero (libtorch never does it for us). */
    public void zeroGradients() {
        for (TrainableParameter p : parameters) {
            try (NDArray grad = p.array().getGradient()) {
                grad.subi(grad);
            }
        }
    }

    /** The global L2 norm of all accumulated gradients. */
    public double gradientNorm() {
        double sumOfSquares = 0;
        for (TrainableParameter p : parameters) {
            try (NDArray grad = p.array().getGradient(); NDArray sq = grad.square(); NDArray sum = sq.sum()) {
                sumOfSquares += sum.getFloat();
            }
        }
        return Math.sqrt(sumOfSquares);
    }

    public long steps() {
        return steps;
    }

    /** First and second moments, in parameter order, for checkpoints. */
    public List<NDArray> firstMoments() {
        return firstMoments;
    }

    public List<NDArray> secondMoments() {
        return secondMoments;
    }

    /** Restores the step count after loading moments from a checkpoint. */
    public void restoreSteps(long steps) {
        this.steps = steps;
    }

    @Override
    public void close() {
        firstMoments.forEach(NDArray::close);
        secondMoments.forEach(NDArray::close);
    }
}
