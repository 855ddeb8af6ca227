package io.kubelora.trainer.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plan's held figures are what a model really holds: weights on the device and the host (dense, bf16, NF4 with
 * either scale format, tied or not, the embedding moved or not), adapter parameters, and the layer inputs a
 * checkpointed step keeps, where it keeps them.
 */
class PlanMatchesModelTest {

    static Stream<Arguments> cases() {
        ModelOptions cpu = ModelOptions.on(Device.cpu());
        return Stream.of(
                Arguments.of(Architecture.LLAMA, false, cpu),
                Arguments.of(Architecture.LLAMA, false, cpu.withBf16Compute(true).withGradientCheckpointing(true)),
                Arguments.of(Architecture.LLAMA, false, cpu.withNf4(true).withEmbeddingOnHost(true)
                        .withGradientCheckpointing(true).withOffloadActivations(true)),
                Arguments.of(Architecture.QWEN2, true, cpu.withNf4(false).withBf16Compute(true)
                        .withEmbeddingOnHost(true).withGradientCheckpointing(true)),
                Arguments.of(Architecture.MISTRAL, false, cpu.withBf16Compute(true).withNf4(true)
                        .withGradientCheckpointing(true).withOffloadActivations(true)));
    }

    @ParameterizedTest(name = "{0}, tied {1}: {2}")
    @MethodSource("cases")
    void heldBytesAreTheModelsOwn(Architecture architecture, boolean tied, ModelOptions options) {
        ModelConfig config = ModelConfig.builder(architecture).hiddenSize(128).intermediateSize(192)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).vocabSize(300).tieWordEmbeddings(tied)
                .build();
        List<String> modules = List.of("q_proj", "v_proj", "down_proj");
        PlanSettings settings = new PlanSettings(options, 4, modules, 0.0, 2, 8, 1, false, 1);
        MemoryPlan plan = MemoryPlan.of(config, settings);
        try (CausalLm model = CausalLm.random(config, options)) {
            LoraAdapters.attach(model, new PeftAdapterConfig(null, 4, 8, 0.0, modules, false), 1);
            assertEquals(WeightBytes.decoderLinears(config, options), model.decoderLinearBytes());
            assertEquals(WeightBytes.onDevice(config, options), model.deviceWeightBytes());
            assertEquals(WeightBytes.onHost(config, options), model.hostWeightBytes());
            assertEquals(plan.bytesOf("LoRA weights"), 4 * model.trainableParameterCount());
            long[] ids = new long[16];
            java.util.Arrays.setAll(ids, i -> (i * 37) % config.vocabSize());
            model.forwardBackward(new Batch(2, 8, ids, ids), 1f);
            long kept = options.gradientCheckpointing() ? config.numHiddenLayers() * 16L * config.hiddenSize()
                    * (options.bf16Compute() ? 2 : 4) : 0;
            assertEquals(kept, plan.bytesOf("checkpointed layer inputs") + plan.host().stream()
                    .filter(i -> i.name().equals("checkpointed layer inputs")).mapToLong(MemoryPlan.Item::bytes).sum());
            assertEquals(options.offloadActivations() ? 0 : kept, model.checkpointBytes().device());
            assertEquals(options.offloadActivations() ? kept : 0, model.checkpointBytes().host());
        }
    }
}
