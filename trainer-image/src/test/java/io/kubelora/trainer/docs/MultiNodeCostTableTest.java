package io.kubelora.trainer.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * docs/multi-node.md's cost tables are what this test computes from the shipped model shapes. Run with
 * {@code -Dkubelora.updateDocs=true} to rewrite the section instead of comparing.
 */
class MultiNodeCostTableTest {

    static final Path DOC = Path.of("..", "docs", "multi-node.md");
    static final List<String> SHAPES = List.of("llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b");
    static final int RANK = 16;
    static final int SEQ = 2048;
    static final double PEAK_TFLOPS = 989.5; // H100 SXM dense bf16, bench/gpu-peaks.json
    static final double MFU = 0.40;
    static final int GPUS_PER_NODE = 8;
    static final int[] NODES = {2, 4, 8};
    static final int[] GBITS = {25, 100, 400};


    @Test
    void docTablesMatchTheShapes() throws Exception {
        new GeneratedSection(DOC, "cost-tables", "MultiNodeCostTableTest")
                .assertHolds(render(), "the cost tables differ from what the shapes give");
    }

    @Test
    void ringAllReduceArithmetic() {
        // 8B: 41,943,040 fp32 gradients = 167.8 MB; 8 nodes move 2 * 7/8 of that per node; 100 Gb/s = 12.5 GB/s
        assertEquals(293.6, ringBytes(167_772_160L, 8) / 1e6, 0.05);
        assertEquals(23.5, seconds(ringBytes(167_772_160L, 8), 100) * 1e3, 0.05);
    }

    private String render() {
        StringBuilder a = new StringBuilder("| Model | LoRA parameters | fp32 gradient per step | FLOPs per token "
                + "(T = " + SEQ + ") | Compute per step and GPU (est.) | Tokens/s of one " + GPUS_PER_NODE
                + "-GPU node (est.) | Hours per 10^9 tokens on one node |\n|---|---:|---:|---:|---:|---:|---:|\n");
        StringBuilder b = new StringBuilder("| Model | Nodes | Sent per node | All-reduce at 25 / 100 / 400 Gb/s "
                + "| Share of the step at 25 / 100 / 400 Gb/s |\n|---|---:|---:|---:|---:|\n");
        for (String name : SHAPES) {
            ModelConfig c = ModelShapes.config(name);
            long lora = c.loraParameterCount(RANK, WeightNames.LINEAR_MODULES);
            long gradientBytes = 4 * lora;
            double flops = flopsPerToken(c, lora);
            double compute = SEQ * flops / (MFU * PEAK_TFLOPS * 1e12);
            double nodeTokensPerSecond = GPUS_PER_NODE * SEQ / compute;
            a.append(String.format(Locale.ROOT, "| %s | %,d | %.1f MB | %.1f GFLOP | %.0f ms | %,.0f | %.1f |%n", name,
                    lora, gradientBytes / 1e6, flops / 1e9, compute * 1e3, nodeTokensPerSecond,
                    1e9 / nodeTokensPerSecond / 3600));
            for (int nodes : NODES) {
                double sent = ringBytes(gradientBytes, nodes);
                StringBuilder times = new StringBuilder();
                StringBuilder shares = new StringBuilder();
                for (int g : GBITS) {
                    double t = seconds(sent, g);
                    times.append(String.format(Locale.ROOT, "%s%.1f ms", times.isEmpty() ? "" : " / ", t * 1e3));
                    shares.append(String.format(Locale.ROOT, "%s%.0f%%", shares.isEmpty() ? "" : " / ",
                            100 * t / (t + compute)));
                }
                b.append(String.format(Locale.ROOT, "| %s | %d | %.1f MB | %s | %s |%n", name, nodes, sent / 1e6,
                        times, shares));
            }
        }
        return a + "\n" + b;
    }

    /** bench/README.md: 4 N + 6 N_lora + 12 L T H hd. */
    static double flopsPerToken(ModelConfig c, long lora) {
        long perLayer = 0;
        for (String m : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) {
            long[] shape = c.linearShape(m);
            perLayer += shape[0] * shape[1];
        }
        double n = (double) c.numHiddenLayers() * perLayer + (double) c.vocabSize() * c.hiddenSize();
        return 4 * n + 6.0 * lora + 12.0 * c.numHiddenLayers() * SEQ * c.numAttentionHeads() * c.headDim();
    }

    /** Bytes each node sends (and receives) in a ring all-reduce of {@code bytes} over {@code nodes}. */
    static double ringBytes(long bytes, int nodes) {
        return 2.0 * (nodes - 1) / nodes * bytes;
    }

    static double seconds(double bytes, int gigabitsPerSecond) {
        return bytes / (gigabitsPerSecond * 1e9 / 8);
    }
}
