package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import io.kubelora.trainer.data.Batch;
import java.util.ArrayList;
import java.util.List;

/** Test fixture: a fixed batch for the tiny models, plain SGD on their LoRA weights, and their gradients. */
final class SgdSteps {

    private SgdSteps() {
    }

    /** Two sequences of 6 tokens over the tiny models' 50-token vocabulary, with padding and ignored targets. */
    static Batch batch() {
        long ignore = Batch.IGNORE;
        long[] inputs = {4, 9, 16, 25, 36, 49, 8, 6, 7, 5, 0, 0};
        long[] targets = {ignore, 16, 25, 36, 49, 1, 6, 7, 5, ignore, ignore, ignore};
        return new Batch(2, 6, inputs, targets);
    }

    /** {@code steps} times: forward/backward on {@code batch}, then w -= learningRate * grad and zero the grad. */
    static void run(CausalLm model, Batch batch, int steps, float learningRate) {
        for (int step = 0; step < steps; step++) {
            model.forwardBackward(batch, 1f / batch.targetTokens());
            try (GradMode off = GradMode.disabled()) {
                for (TrainableParameter p : model.trainableParameters()) {
                    try (NDArray g = p.array().getGradient(); NDArray lr = model.manager().create(learningRate);
                         NDArray update = g.mul(lr)) {
                        p.array().subi(update);
                        g.subi(g);
                    }
                }
            }
        }
    }

    /** The LoRA gradients the model holds now, in its parameters' order. */
    static List<float[]> gradients(CausalLm model) {
        List<float[]> gradients = new ArrayList<>();
        for (TrainableParameter p : model.trainableParameters()) {
            try (NDArray g = p.array().getGradient()) {
                gradients.add(g.toFloatArray());
            }
        }
        return gradients;
    }
}
