package io.kubelora.trainer.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plans of published recipes for 8B models (the public config.json files of model/ModelShapes). */
class PlanRecipesTest {

    private static final long GIB = 1L << 30;
    private static final List<String> TORCHTUNE_MODULES =
            List.of("q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** A GPU run as SpecTranslation sets it up: bf16, checkpointing, the untied embedding in host memory. */
    private static ModelOptions gpu() {
        return ModelOptions.on(Device.gpu()).withBf16Compute(true).withGradientCheckpointing(true)
                .withEmbeddingOnHost(true);
    }

    /**
     * torchtune's QLoRA recipe for Llama-3.1-8B (rank 8 on q, v, output projections and the MLP, batch 2, packed
     * sequences of 2048, activation checkpointing), for which torchtune reports a 7.4 GiB peak: ours plans at most
     * 7.0 GiB, CUDA context included.
     */
    @Test
    void torchtunesQloraRecipePlansAtMostSevenGib() {
        MemoryPlan plan = MemoryPlan.of(ModelShapes.config("llama-3.1-8b"),
                new PlanSettings(gpu().withNf4(true), 8, TORCHTUNE_MODULES, 0.0, 2, 2048, 1, false, 1));
        assertTrue(plan.context() > 0, "the CUDA context is part of the plan");
        assertTrue(plan.total() <= 7 * GIB, PlanText.describe(plan, "llama-3.1-8b"));
        // NF4 with double quantization: at most 4.13 bits per decoder-linear parameter
        assertTrue(WeightBytes.bitsPerLinearParameter(plan.config(), plan.settings().options()) <= 4.13);
    }

    /**
     * LoRA r=16 on all seven linears over 16-bit weights, batch 2 x 2048: 15 GiB of weights cannot fit a 16 GiB GPU;
     * the advice names nf4, and its plan fits; an 80 GiB GPU takes the run as it is.
     */
    @Test
    void sixteenBitEightBDoesNotFitSixteenGibButNf4Does() {
        ModelConfig config = ModelShapes.config("llama-3.1-8b");
        MemoryPlan plan = MemoryPlan.of(config,
                new PlanSettings(gpu(), 16, WeightNames.LINEAR_MODULES, 0.05, 2, 2048, 1, false, 1));
        assertTrue(plan.bytesOf("decoder linears") + plan.bytesOf("lm_head") + plan.hostBytes() > 14.9 * GIB,
                "16-bit weights alone are 15 GiB");
        FitAdvice sixteen = FitAdvice.of(plan, 16 * GIB);
        assertFalse(sixteen.fits());
        FitAdvice.Advice nf4 = sixteen.advice().stream().filter(a -> a.change().equals("quantization: nf4"))
                .findFirst().orElseThrow(() -> new AssertionError(PlanText.verdict(sixteen)));
        assertTrue(nf4.plan().fits(16 * GIB));
        assertTrue(nf4.plan().settings().options().nf4());
        assertTrue(FitAdvice.of(plan, 80 * GIB).fits());
        assertTrue(FitAdvice.of(plan, 80 * GIB).advice().isEmpty());
    }

    /**
     * The classic QLoRA recipe (Llama-3-8B, r=64 on all seven linears, batch 4 x 2048) that tutorials fit on a 12 GB
     * consumer GPU plans under 12 GB with the layer inputs offloaded.
     */
    @Test
    void classicQloraRecipeFitsTwelveGbWithOffloadedActivations() {
        MemoryPlan plan = MemoryPlan.of(ModelShapes.config("llama-3-8b"), new PlanSettings(
                gpu().withNf4(true).withOffloadActivations(true), 64, WeightNames.LINEAR_MODULES, 0.05, 4, 2048, 1,
                false, 1));
        assertTrue(plan.total() < 12_000_000_000L, PlanText.describe(plan, "llama-3-8b"));
        assertEquals(0, plan.bytesOf("checkpointed layer inputs"), "offloaded");
        assertEquals(32L * 4 * 2048 * 4096 * 2, plan.hostBytes() - plan.host().get(0).bytes());
    }

    /** Paged optimizer state takes the AdamW moments off the GPU: for 70B at rank 16 on all linears, 1.5 GiB. */
    @Test
    void optimizerOffloadMovesTheMomentsToTheHost() {
        ModelConfig config = ModelShapes.config("llama-3.1-70b");
        PlanSettings settings = new PlanSettings(gpu().withNf4(true), 16, WeightNames.LINEAR_MODULES, 0.0, 1, 2048,
                1, false, 1);
        MemoryPlan onGpu = MemoryPlan.of(config, settings);
        MemoryPlan offloaded = MemoryPlan.of(config, settings.withOptimizerOffload(true));
        long lora = config.loraParameterCount(16, WeightNames.LINEAR_MODULES);
        assertEquals(8 * lora, onGpu.heldBytes() - offloaded.heldBytes());
        assertTrue(8 * lora > 1.5 * GIB, "moments of " + lora + " parameters");
        assertEquals(16 * lora, offloaded.hostBytes() - onGpu.hostBytes(), "moments, master weights, gradients");
    }
}
