package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.model.TrainableParameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AdamW against two steps computed by hand in float64 (Loshchilov and Hutter 2019, Algorithm 2, with Adam's bias
 * correction): the gradient scaled by the clipping factor, decoupled weight decay lr * wd * w, moments with
 * beta1 = 0.9 and beta2 = 0.999, and the step lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).
 * Every value is distinct, so a swapped argument of the fused update (weight and gradient, the two moments, the
 * two learning rates, decay and gradient scale, the betas) changes the result.
 */
class AdamWTest {

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private static final double LR1 = 0.1;
    private static final double LR2 = 0.05;
    private static final double DECAY = 0.2;
    private static final double SCALE1 = 0.5;
    private static final double SCALE2 = 1.0;

    private final double[] weight = {1.0, -2.0, 0.5};
    private final double[] mean = new double[3];
    private final double[] variance = new double[3];

    @Test
    void twoStepsMatchTheHandComputedUpdate() {
        double[] g1 = {0.3, -1.2, 2.0};
        double[] g2 = {-0.4, 0.9, 0.1};
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray w = manager.create(toFloats(weight));
            w.setRequiresGradient(true);
            AdamW adamW = new AdamW(List.of(new TrainableParameter("w", w)), DECAY, manager);

            setGradient(w, g1, manager);
            adamW.step(LR1, SCALE1);
            handStep(1, LR1, SCALE1, g1);
            assertClose(weight, w, "weights after step 1");
            assertClose(mean, adamW.firstMoments().get(0), "first moment after step 1");
            assertClose(variance, adamW.secondMoments().get(0), "second moment after step 1");

            adamW.zeroGradients();
            setGradient(w, g2, manager);
            adamW.step(LR2, SCALE2);
            handStep(2, LR2, SCALE2, g2);
            assertClose(weight, w, "weights after step 2");
            assertClose(mean, adamW.firstMoments().get(0), "first moment after step 2");
            assertClose(variance, adamW.secondMoments().get(0), "second moment after step 2");
            assertEquals(2, adamW.steps());
        }
    }

    @Test
    void zeroGradientsAndTheGlobalNormSeeEveryParameter() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.create(new float[] {1, 2});
            NDArray b = manager.create(new float[] {3});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            AdamW adamW = new AdamW(List.of(new TrainableParameter("a", a), new TrainableParameter("b", b)), 0,
                    manager);
            setGradient(a, new double[] {3, 0}, manager);
            setGradient(b, new double[] {4}, manager);
            assertEquals(5.0, adamW.gradientNorm(), 1e-6, "sqrt(3^2 + 0^2 + 4^2) over both parameters");
            adamW.zeroGradients();
            assertEquals(0.0, adamW.gradientNorm());
        }
    }

    /** The update of Algorithm 2 with bias correction, in float64, on this test's state. */
    private void handStep(int t, double lr, double scale, double[] gradient) {
        double stepSize = lr * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t));
        for (int i = 0; i < weight.length; i++) {
            double g = scale * gradient[i];
            weight[i] -= lr * DECAY * weight[i];
            mean[i] = BETA1 * mean[i] + (1 - BETA1) * g;
            variance[i] = BETA2 * variance[i] + (1 - BETA2) * g * g;
            weight[i] -= stepSize * mean[i] / (Math.sqrt(variance[i]) + EPS);
        }
    }

    /** Sets w's gradient to {@code g}: backward of w itself with upstream g adds g to its (zero) gradient. */
    private static void setGradient(NDArray w, double[] g, NDManager manager) {
        try (NDArray upstream = manager.create(toFloats(g))) {
            JniUtils.backward((PtNDArray) w, (PtNDArray) upstream, false, false);
        }
    }

    private static void assertClose(double[] expected, NDArray actual, String what) {
        float[] values = actual.toFloatArray();
        double[] got = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            got[i] = values[i];
        }
        assertArrayEquals(expected, got, 2e-6, what);
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
