package io.kubelora.trainer.docs;

import ai.djl.Device;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanSettings;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's table of planned peaks is what the memory planner gives for the shipped model shapes. Run with
 * {@code -Dkubelora.updateDocs=true} to rewrite it instead of comparing.
 */
class MemoryTableTest {

    static final Path README = Path.of("..", "README.md");
    static final List<String> SHAPES = List.of("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "qwen2.5-7b",
            "mistral-7b-v0.3", "llama-3.1-70b");

    @Test
    void readmeTableMatchesThePlanner() throws Exception {
        new GeneratedSection(README, "memory-table", "MemoryTableTest")
                .assertHolds(render(), "the memory table differs from the planner's figures");
    }

    private static String render() {
        ModelOptions gpu = ModelOptions.on(Device.gpu()).withBf16Compute(true).withGradientCheckpointing(true)
                .withEmbeddingOnHost(true);
        StringBuilder table = new StringBuilder("| model | LoRA, bf16 weights | QLoRA, nf4 weights "
                + "| QLoRA, layer inputs offloaded | QLoRA, host memory it adds |\n|---|---|---|---|---|\n");
        for (String shape : SHAPES) {
            MemoryPlan lora = plan(shape, gpu);
            MemoryPlan qlora = plan(shape, gpu.withNf4(true));
            MemoryPlan offloaded = plan(shape, gpu.withNf4(true).withOffloadActivations(true));
            table.append("| ").append(shape).append(" | ").append(ByteSize.gib(lora.total())).append(" | ")
                    .append(ByteSize.gib(qlora.total())).append(" | ").append(ByteSize.gib(offloaded.total()))
                    .append(" | ").append(ByteSize.gib(offloaded.hostBytes())).append(" |\n");
        }
        return table.toString();
    }

    private static MemoryPlan plan(String shape, ModelOptions options) {
        return MemoryPlan.of(ModelShapes.config(shape), new PlanSettings(options, 16, WeightNames.LINEAR_MODULES, 0.05,
                2, 2048, 1, false, 1));
    }
}
