package io.kubelora.trainer.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every change the advice recommends makes the plan fit the device it was asked about; the rest is never advised. */
class FitAdviceTest {

    private static final long GIB = 1L << 30;

    static Stream<Arguments> runs() {
        ModelOptions plain = ModelOptions.on(Device.gpu()).withBf16Compute(true).withEmbeddingOnHost(true);
        return Stream.of(
                Arguments.of("llama-3.2-1b", plain, 8, 4096, 8 * GIB),           // no checkpointing, long sequences
                Arguments.of("llama-3.2-1b", plain.withGradientCheckpointing(true), 16, 2048, 6 * GIB),
                Arguments.of("llama-3.1-8b", plain.withGradientCheckpointing(true), 4, 2048, 12 * GIB),
                Arguments.of("qwen2.5-7b", plain.withNf4(true).withGradientCheckpointing(true), 8, 4096, 8 * GIB),
                Arguments.of("llama-3.1-8b", plain.withNf4(true), 8, 8192, 24 * GIB),
                Arguments.of("llama-3.1-70b", plain.withGradientCheckpointing(true), 1, 2048, 24 * GIB));
    }

    @ParameterizedTest(name = "{0}, batch {2} x {3} on {4} bytes")
    @MethodSource("runs")
    void adviceFitsWhereItIsGiven(String shape, ModelOptions options, int batch, int seq, long device) {
        ModelConfig config = ModelShapes.config(shape);
        MemoryPlan plan = MemoryPlan.of(config, new PlanSettings(options, 16, WeightNames.LINEAR_MODULES, 0.05,
                batch, seq, 2, false, 1));
        FitAdvice fit = FitAdvice.of(plan, device);
        assertFalse(fit.fits(), shape + " should need more than " + device + ": " + plan.total());
        assertTrue(!fit.advice().isEmpty() || fit.allChanges().isPresent());
        for (FitAdvice.Advice advice : fit.advice()) {
            assertTrue(advice.plan().fits(device), advice.change() + ": " + advice.plan().total());
            assertTrue(advice.plan().total() < plan.total());
            long before = (long) plan.settings().batchSize() * plan.settings().gradientAccumulationSteps();
            PlanSettings after = advice.plan().settings();
            assertTrue((long) after.batchSize() * after.gradientAccumulationSteps() >= before,
                    "the effective batch stays: " + advice.change());
        }
        fit.allChanges().ifPresent(all -> {
            assertFalse(all.fits(device));
            assertTrue(PlanText.advice(fit).contains("does not fit even with"), PlanText.advice(fit));
        });
    }

    @ParameterizedTest(name = "{0}, batch {2} x {3}")
    @MethodSource("runs")
    void aPlanThatFitsGetsNoAdvice(String shape, ModelOptions options, int batch, int seq, long device) {
        MemoryPlan plan = MemoryPlan.of(ModelShapes.config(shape), new PlanSettings(options, 16,
                WeightNames.LINEAR_MODULES, 0.05, batch, seq, 2, false, 1));
        FitAdvice fit = FitAdvice.of(plan, plan.total());
        assertTrue(fit.fits());
        assertEquals(0, fit.advice().size());
        assertTrue(PlanText.verdict(fit).contains("fits"), PlanText.verdict(fit));
    }
}
