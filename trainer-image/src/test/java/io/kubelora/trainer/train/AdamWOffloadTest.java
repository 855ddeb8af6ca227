package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.model.TrainableParameter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizer with its state in host memory updates the weights exactly as the one with its state beside them:
 * the same weights after N steps, to 1e-6 relative, with gradients that change every step, clipping and decay.
 */
class AdamWOffloadTest {

    private static final int STEPS = 12;

    @Test
    void offloadedStateGivesTheSameWeightsAfterManySteps() {
        List<float[]> onDevice = train(false);
        List<float[]> offloaded = train(true);
        assertEquals(onDevice.size(), offloaded.size());
        for (int i = 0; i < onDevice.size(); i++) {
            double norm = 0;
            double error = 0;
            for (int j = 0; j < onDevice.get(i).length; j++) {
                norm += (double) onDevice.get(i)[j] * onDevice.get(i)[j];
                error += Math.pow((double) onDevice.get(i)[j] - offloaded.get(i)[j], 2);
            }
            assertTrue(Math.sqrt(error / norm) <= 1e-6, "parameter " + i + ": relative difference "
                    + Math.sqrt(error / norm));
        }
    }

    @Test
    void restoredWeightsAreTakenAgainByTheHostCopies() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<TrainableParameter> params = parameters(manager, new SplittableRandom(1));
            try (AdamW adam = new AdamW(params, 0.0, manager, true)) {
                assertTrue(adam.offloaded());
                float[] restored = new float[(int) params.get(0).array().size()];
                java.util.Arrays.fill(restored, 0.5f);
                withoutGrad(() -> params.get(0).array().set(restored)); // what a checkpoint restore does
                adam.restoreSteps(0);
                setGradients(params, new SplittableRandom(2));
                adam.step(0.0, 1.0); // learning rate 0: the weights stay what the host copies hold
                assertArrayEquals(restored, params.get(0).array().toFloatArray(), 0f);
            }
        }
    }

    /** The weights after {@link #STEPS} AdamW steps on pseudo-random gradients, with the state offloaded or not. */
    private static List<float[]> train(boolean offload) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<TrainableParameter> params = parameters(manager, new SplittableRandom(7));
            SplittableRandom gradients = new SplittableRandom(8);
            try (AdamW adam = new AdamW(params, 0.01, manager, offload)) {
                assertEquals(offload, adam.offloaded());
                for (int step = 0; step < STEPS; step++) {
                    setGradients(params, gradients);
                    double norm = adam.gradientNorm();
                    adam.step(1e-2, norm > 1.0 ? 1.0 / norm : 1.0);
                    adam.zeroGradients();
                }
                assertFalse(adam.firstMoments().isEmpty());
            }
            List<float[]> weights = new ArrayList<>();
            params.forEach(p -> weights.add(p.array().toFloatArray()));
            return weights;
        }
    }

    private static List<TrainableParameter> parameters(NDManager manager, SplittableRandom random) {
        List<TrainableParameter> params = new ArrayList<>();
        for (long[] shape : new long[][] {{4, 16}, {16, 4}, {3, 5}}) {
            float[] values = new float[(int) (shape[0] * shape[1])];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            NDArray array = manager.create(values, new Shape(shape));
            array.setRequiresGradient(true);
            params.add(new TrainableParameter("p" + params.size(), array));
        }
        return params;
    }

    /** Writes fresh values into every parameter's gradient, as a backward pass (or an all-reduce) would. */
    private static void setGradients(List<TrainableParameter> params, SplittableRandom random) {
        withoutGrad(() -> {
            for (TrainableParameter p : params) {
                float[] g = new float[(int) p.array().size()];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) (random.nextGaussian() * 0.3);
                }
                try (NDArray grad = p.array().getGradient()) {
                    grad.set(g);
                }
            }
        });
    }

    private static void withoutGrad(Runnable action) {
        boolean mode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            action.run();
        } finally {
            JniUtils.setGradMode(mode);
        }
    }
}
