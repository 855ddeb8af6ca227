package io.kubelora.trainer.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.WeightNames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner against breakdowns worked out by hand, for a QLoRA GPU run and a plain LoRA CPU run. */
class MemoryPlannerTest {

    private static final long MIB = 1L << 20;

    /**
     * Llama, D 64, I 128, 2 layers, 4 heads over 2 KV heads (hd 16), vocabulary 256, untied; on a GPU with bf16
     * compute, NF4 with double quantization, checkpointing, LoRA r=4 on q_proj and v_proj without dropout, batch 2 x
     * 32 tokens (N = 64).
     */
    @Test
    void qloraOnAGpu() {
        ModelConfig config = ModelConfig.builder(Architecture.LLAMA).hiddenSize(64).intermediateSize(128)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).vocabSize(256).build();
        ModelOptions options = ModelOptions.on(Device.gpu()).withBf16Compute(true).withNf4(true)
                .withGradientCheckpointing(true).withEmbeddingOnHost(true);
        MemoryPlan plan = MemoryPlan.of(config, new PlanSettings(options, 4, List.of("q_proj", "v_proj"), 0.0, 2, 32,
                1, false, 1));
        // NF4, per weight: 32 bytes per block of 64, 1 byte per block scale, 4 per group of 256 blocks, the mean 4,
        // the decode table 2048. q and o [64, 64]: 64 blocks = 2048 + 64 + 4 + 4 + 2048 = 4168; k and v [32, 64]:
        // 1024 + 32 + 8 + 2048 = 3112; gate, up, down 8192 elements: 4096 + 128 + 8 + 2048 = 6280.
        assertEquals(2 * (2 * 4168 + 2 * 3112 + 3 * 6280), plan.bytesOf("decoder linears"));
        assertEquals(4 * (2 * 2 * 64 + 64), plan.bytesOf("biases and norms"));          // fp32 norms, no biases
        assertEquals(0, plan.bytesOf("embedding"), "the untied table is in host memory");
        assertEquals(List.of(new MemoryPlan.Item("embedding", 256 * 64 * 2, "bf16 [256, 64]")), plan.host());
        assertEquals(256 * 64 * 2, plan.bytesOf("lm_head"));
        long lora = 2 * (4 * (64 + 64) + 4 * (32 + 64));                                  // 1,792 parameters
        assertEquals(4 * lora, plan.bytesOf("LoRA weights"));
        assertEquals(4 * lora, plan.bytesOf("LoRA gradients"));
        assertEquals(8 * lora, plan.bytesOf("AdamW moments"));
        assertEquals(2 * 64 * 64 * 2, plan.bytesOf("checkpointed layer inputs"));         // L x N x D x bf16
        assertEquals(4 * 32 * 16 * 4, plan.bytesOf("step constants"));                   // rotary cos, sin for q, k
        assertEquals(154_096, plan.heldBytes());
        // The peak is the MLP pass of a layer's backward, one chunk of all 64 rows: upstream, a and its gradient
        // 3 x 4ND = 49,152; gate, up and down dequantized in bf16 2 x 3 x 8192 = 49,152; the chunk's graph: its
        // input leaf 4nD 16,384, RMSNorm's 4n 256, SwiGLU's three bf16 tensors 3 x 2 x nI 49,152, the output
        // 16,384 = 82,176; in flight: gate and up fp32, the product and its fp32 result (12 + 2) nI = 114,688 and
        // the normalised input and output 8nD = 32,768.
        assertEquals(new MemoryPlan.Item("step working set", 327_936, "peak: layer backward, MLP chunk"),
                plan.lines().get(plan.held().size()));
        assertEquals(512 * MIB, plan.context());
        assertEquals(Math.round(0.10 * (2 * 64 * 64 * 2 + 327_936)), plan.reserve()); // per-step allocations
        assertEquals(154_096 + 327_936 + 512 * MIB + 34_432, plan.total());

        // Each of 4 replicas on its own GPU also holds, for a moment, one LoRA tensor moved between GPUs: the
        // largest is q_proj's B [64, 4] or A [4, 64], 256 fp32 values.
        MemoryPlan replicated = MemoryPlan.of(config, new PlanSettings(options, 4, List.of("q_proj", "v_proj"), 0.0,
                2, 32, 1, false, 4));
        assertEquals(4 * 256, replicated.bytesOf("gradient all-reduce buffer"));
        assertEquals(0, plan.bytesOf("gradient all-reduce buffer"), "one replica moves nothing");
    }

    /**
     * Qwen2 (q/k/v biases), D 32, I 48, 2 layers, 4 heads over 2 KV heads (hd 8), vocabulary 50, tied; on the CPU
     * in fp32, dense, without checkpointing, LoRA r=8 on all seven linears with dropout 0.1, batch 1 x 16 tokens.
     */
    @Test
    void loraOnTheCpuWithoutCheckpointing() {
        ModelConfig config = ModelConfig.builder(Architecture.QWEN2).hiddenSize(32).intermediateSize(48)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).vocabSize(50).tieWordEmbeddings(true)
                .build();
        MemoryPlan plan = MemoryPlan.of(config, new PlanSettings(ModelOptions.on(Device.cpu()), 8,
                WeightNames.LINEAR_MODULES, 0.1, 1, 16, 1, false, 1));
        // fp32: q, o 32 x 32; k, v 16 x 32; gate, up, down 48 x 32 = 7,680 per layer
        assertEquals(4 * 2 * 7680, plan.bytesOf("decoder linears"));
        assertEquals(4 * (2 * (2 * 32 + 32 + 16 + 16) + 32), plan.bytesOf("biases and norms"));
        assertEquals(50 * 32 * 4, plan.bytesOf("embedding"), "tied: the head's weight too, on the device");
        assertEquals(0, plan.bytesOf("lm_head"));
        long lora = 2 * 8 * (64 + 48 + 48 + 64 + 80 + 80 + 80);                           // 7,424
        assertEquals(16 * lora, plan.bytesOf("LoRA weights") + plan.bytesOf("LoRA gradients")
                + plan.bytesOf("AdamW moments"));
        assertEquals(0, plan.bytesOf("checkpointed layer inputs"));
        assertEquals(189_824, plan.heldBytes());
        // Without checkpointing every layer's graph is kept: 57,984 bytes a layer (the math attention kernel on a
        // CPU with grouped heads keeps its [1, 4, 16, 16] softmax; dropout keeps a copy and a float mask of each
        // adapter's input), twice, plus the last hidden state and its gradient 8ND = 4,096; then a layer's backward
        // at its widest, the attention kernel's: 44,608 more.
        assertEquals(new MemoryPlan.Item("step working set", 164_672,
                "peak: forward graph of every layer, then a layer's backward"), plan.lines().get(plan.held().size()));
        assertEquals(0, plan.context());
        assertEquals(0, plan.reserve());
        assertEquals(189_824 + 164_672, plan.total());
    }
}
