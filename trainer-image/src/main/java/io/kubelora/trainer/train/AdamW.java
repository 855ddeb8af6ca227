package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.script.HostMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter 2019: Adam with decoupled weight decay) over the fp32 LoRA parameters.
 *
 * <p>Runs libtorch's fused Adam kernel in AdamW mode. That kernel clips each gradient element one-sided, so
 * its clip is disabled and global-norm clipping enters as the gradient rescale factor instead.
 *
 * <p>With {@code offload} (QLoRA's paged optimizer, done eagerly) the moments and fp32 master copies of the weights
 * live in host memory (pinned on a GPU) and each step runs there: the gradients come over, the same fused kernel
 * updates the master copies, and the updated weights go back to the device, so optimizer state takes no device
 * memory. A step reads the gradients as they are when it runs, so they may have been summed across replicas first.
 */
public final class AdamW implements AutoCloseable {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final List<TrainableParameter> parameters;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final float weightDecay;
    private final Offload offload; // null when the state is on the parameters' device
    private long steps;

    /** State on the parameters' device, in {@code manager}. */
    public AdamW(List<TrainableParameter> parameters, double weightDecay, NDManager manager) {
        this(parameters, weightDecay, manager, false);
    }

    /** State in {@code manager}, or with {@code offload} in host memory. */
    public AdamW(List<TrainableParameter> parameters, double weightDecay, NDManager manager, boolean offload) {
        this.parameters = List.copyOf(parameters);
        this.weightDecay = (float) weightDecay;
        this.offload = offload ? new Offload() : null;
        NDManager stateManager = offload ? this.offload.host : manager;
        for (TrainableParameter p : this.parameters) {
            firstMoments.add(stateManager.zeros(p.array().getShape()));
            secondMoments.add(stateManager.zeros(p.array().getShape()));
        }
        if (offload) {
            this.offload.takeWeights(this.parameters);
        }
    }

    /**
     * One update of every parameter from its accumulated gradient times {@code gradientScale}
     * (the global-norm clipping factor, 1 when not clipping).
     */
    public void step(double learningRate, double gradientScale) {
        steps++;
        // Bias correction folded into the step size, as the fused kernel expects.
        float stepSize = (float) (learningRate * Math.sqrt(1 - Math.pow(BETA2, steps)) / (1 - Math.pow(BETA1, steps)));
        for (int i = 0; i < parameters.size(); i++) {
            int index = i;
            NDArray weight = parameters.get(i).array();
            try (NDArray grad = weight.getGradient()) {
                if (offload == null) {
                    update(weight, grad, i, learningRate, stepSize, gradientScale);
                } else {
                    offload.step(i, weight, grad, (master, hostGrad) ->
                            update(master, hostGrad, index, learningRate, stepSize, gradientScale));
                }
            }
        }
    }

    private void update(NDArray weight, NDArray grad, int i, double learningRate, float stepSize,
                        double gradientScale) {
        NDList inputs = new NDList(weight, grad, firstMoments.get(i), secondMoments.get(i));
        weight.getNDArrayInternal().adamUpdate(inputs, new NDList(weight), (float) learningRate, stepSize,
                weightDecay, (float) gradientScale, Float.MAX_VALUE, BETA1, BETA2, EPSILON, false, true);
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

    /** Whether the state lives in host memory. */
    public boolean offloaded() {
        return offload != null;
    }

    /** First and second moments, in parameter order, for checkpoints (in host memory when offloaded). */
    public List<NDArray> firstMoments() {
        return firstMoments;
    }

    public List<NDArray> secondMoments() {
        return secondMoments;
    }

    /**
     * Restores the step count after a checkpoint's weights and moments were loaded; offloaded, the host copies of
     * the weights are taken again from the parameters.
     */
    public void restoreSteps(long steps) {
        this.steps = steps;
        if (offload != null) {
            offload.takeWeights(parameters);
        }
    }

    @Override
    public void close() {
        firstMoments.forEach(NDArray::close);
        secondMoments.forEach(NDArray::close);
        if (offload != null) {
            offload.close();
        }
    }

    /** The host side of an offloaded optimizer: master weights, gradient buffers, and the copies between. */
    private static final class Offload implements AutoCloseable {

        private final NDManager host = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        private final HostMemory copies;
        private final List<NDArray> masters = new ArrayList<>();
        private final List<NDArray> gradients = new ArrayList<>();

        Offload() {
            copies = HostMemory.load(host);
        }

        /** (Re)takes host copies of the parameters' current values, and gradient buffers of their shapes. */
        void takeWeights(List<TrainableParameter> parameters) {
            masters.forEach(NDArray::close);
            gradients.forEach(NDArray::close);
            masters.clear();
            gradients.clear();
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(false); // plain copies, not graph nodes of the parameters
            try {
                for (TrainableParameter p : parameters) {
                    NDArray master = copies.hostCopy(p.array());
                    master.attach(host);
                    masters.add(master);
                    gradients.add(host.zeros(p.array().getShape()));
                }
            } finally {
                JniUtils.setGradMode(gradMode);
            }
        }

        interface HostUpdate {
            void apply(NDArray master, NDArray hostGradient);
        }

        /** Gradient to the host, {@code update} on the master copy there, the result back into {@code weight}. */
        void step(int i, NDArray weight, NDArray grad, HostUpdate update) {
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(false); // in-place writes to a leaf that requires grad are refused otherwise
            try {
                copies.copyInto(gradients.get(i), grad);
                update.apply(masters.get(i), gradients.get(i));
                copies.copyInto(weight, masters.get(i));
            } finally {
                JniUtils.setGradMode(gradMode);
            }
        }

        @Override
        public void close() {
            copies.close();
            host.close();
        }
    }
}
