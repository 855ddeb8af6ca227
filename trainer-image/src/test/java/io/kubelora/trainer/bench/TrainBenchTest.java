package io.kubelora.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.device.CudaInventory;
import io.kubelora.trainer.device.GpuUnavailableException;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.WeightNames;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * kubelora bench on the CPU with a tiny config: the report has the contract's keys in the order the peft script
 * writes them, bench/peft/compare_json.py accepts it, and the FLOP count is bench/README.md's.
 */
class TrainBenchTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** bench/README.md's report, key for key. */
    private static final List<String> CONTRACT_KEYS = List.of("implementation", "shape", "device", "device_name",
            "precision", "quantization", "seq", "batch", "replicas", "rank", "alpha", "targets", "gradient_checkpointing", "steps",
            "step_time_ms", "tokens_per_second", "peak_memory_bytes", "peak_reserved_bytes", "parameters",
            "trainable_parameters", "flops_per_token", "achieved_tflops", "peak_tflops", "mfu", "loss_first",
            "loss_last", "versions");

    @TempDir
    static Path dir;
    private static Path tinyConfig;

    @BeforeAll
    static void tinyConfig() throws IOException {
        tinyConfig = Files.writeString(dir.resolve("tiny-llama.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
                 "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "vocab_size": 256, "rms_norm_eps": 1e-5,
                 "max_position_embeddings": 256, "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
                """);
    }

    private record Run(int exit, String out, String err, Exception failure) {
    }

    private static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Exception[] failure = new Exception[1];
        int exit = new CommandLine(new TrainBench()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    failure[0] = e;
                    return 1;
                }).execute(args);
        return new Run(exit, out.toString(), err.toString(), failure[0]);
    }

    @Test
    void theReportHasTheContractKeysAndCompareJsonAcceptsIt() throws Exception {
        Path ours = dir.resolve("ours.json");
        Run run = bench("--config", tinyConfig.toString(), "--seq", "32", "--batch", "2", "--steps", "2", "--warmup",
                "1", "--rank", "4", "--alpha", "8", "--targets", "v_proj,q_proj", "--precision", "fp32", "--device",
                "cpu", "--json", ours.toString());
        assertEquals(0, run.exit(), run.err());
        JsonNode report = JSON.readTree(ours.toFile());
        assertEquals(report, JSON.readTree(run.out()), "the same report on stdout and in --json");
        List<String> keys = new ArrayList<>();
        report.fieldNames().forEachRemaining(keys::add);
        assertEquals(CONTRACT_KEYS, keys);
        assertEquals("kubelora", report.get("implementation").asText());
        assertEquals("tiny-llama", report.get("shape").asText(), "a config file's name without .json");
        assertEquals("cpu", report.get("device").asText());
        assertTrue(report.get("alpha").isIntegralNumber(), "alpha 8 is written as an integer");
        assertEquals(List.of("q_proj", "v_proj"), JSON.convertValue(report.get("targets"), List.class),
                "targets in decoder order");
        ModelConfig config = ModelShapes.fromFile(tinyConfig);
        long lora = config.loraParameterCount(4, List.of("q_proj", "v_proj"));
        assertEquals(lora, report.get("trainable_parameters").asLong());
        assertEquals(config.parameterCount() + lora, report.get("parameters").asLong());
        assertEquals(FlopCount.of(config, 32, 4, List.of("q_proj", "v_proj")).perToken(),
                report.get("flops_per_token").asLong());
        assertTrue(report.get("tokens_per_second").asDouble() > 0);
        assertTrue(report.get("peak_memory_bytes").asLong() > 0, "CPU: peak RSS");
        assertTrue(report.get("peak_reserved_bytes").isNull() && report.get("mfu").isNull()
                && report.get("peak_tflops").isNull(), "no reserved memory and no MFU on a CPU");
        assertTrue(report.get("loss_first").asDouble() > Math.log(256) - 1, "random tokens start near ln(vocab)");
        assertTrue(run.err().contains("Device: cpu ("), run.err());

        assumeTrue(python(), "python3 is not on the PATH: the comparison with compare_json.py needs it");
        List<String> peftKeys = JSON.readValue(exec("python3", "-c", String.join("\n",
                "import json, sys",
                "sys.path.insert(0, 'bench/peft')",
                "import train_peft as t",
                "a = t.parse_args(['--shape', 'smollm2-135m'])",
                "timing = t.throughput(t.read_model_config('smollm2-135m', None), a, [0.1], None)",
                "print(json.dumps(list(t.report('s', a, 'cpu', 'x', 'none', timing, (1, None), (2, 1), [1.0], {}))))")),
                List.class);
        assertEquals(peftKeys, keys, "the keys and order of train_peft.py's report");
        ObjectNode peft = (ObjectNode) report.deepCopy();
        peft.put("implementation", "peft");
        Path peftFile = dir.resolve("peft.json");
        JSON.writeValue(peftFile.toFile(), peft);
        String table = exec("python3", "bench/peft/compare_json.py", ours.toString(), peftFile.toString());
        assertTrue(table.contains("tokens/s ours/peft: 1.000"), table);
        assertTrue(table.contains("peak memory ours/peft: 1.000"), table);
    }

    @Test
    void replicasEachRunTheirOwnBatchAndTheReportCountsAllTheirTokens() throws Exception {
        Path json = dir.resolve("replicas.json");
        Run run = bench("--config", tinyConfig.toString(), "--seq", "16", "--batch", "2", "--steps", "2", "--warmup",
                "1", "--rank", "4", "--precision", "fp32", "--device", "cpu", "--replicas", "2", "--json",
                json.toString());
        assertEquals(0, run.exit(), run.err());
        JsonNode report = JSON.readTree(json.toFile());
        assertEquals(2, report.get("replicas").asInt());
        assertEquals(2, report.get("batch").asInt(), "the batch is per replica");
        assertEquals(2 * 2 * 16 / (report.get("step_time_ms").asDouble() / 1000),
                report.get("tokens_per_second").asDouble(), 1e-3 * report.get("tokens_per_second").asDouble(),
                "tokens of both replicas per step");
        assertTrue(run.err().contains("; 2 replicas)"), run.err());
        assertTrue(run.err().contains("2 replica(s): "), run.err());
        assertTrue(run.err().contains(" of tensors (2 replicas) "), "each replica holds its tensors: " + run.err());

        Run none = bench("--config", tinyConfig.toString(), "--device", "cpu", "--replicas", "0");
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("--replicas must be at least 1, got 0"), none.err());
    }

    @Test
    void theFlopCountIsTheReadmesExample() {
        FlopCount flops = FlopCount.of(ModelShapes.config("llama-3.2-1b"), 2048, 16, WeightNames.LINEAR_MODULES);
        assertEquals(1_235_746_816L, flops.frozenMatmulWeights());
        assertEquals(11_272_192L, flops.loraWeights());
        assertEquals(805_306_368L, flops.attention());
        assertEquals(5_815_926_784L, flops.perToken());
    }

    @Test
    void gpuPeaksMatchNamesAsCudaReportsThem() {
        assertEquals(756.5, GpuPeaks.bf16TeraFlops("NVIDIA H100 PCIe"));
        assertEquals(989.5, GpuPeaks.bf16TeraFlops("NVIDIA H200"));
        assertEquals(125.0, GpuPeaks.bf16TeraFlops("NVIDIA A10"));
        assertNull(GpuPeaks.bf16TeraFlops("NVIDIA A10G"), "no datasheet peak");
        assertNull(GpuPeaks.bf16TeraFlops("AMD EPYC"));
    }

    @Test
    void withoutAShapeItIsTheBuiltInModelOnTheCpu() {
        Run run = bench("--steps", "1", "--warmup", "0", "--seq", "16", "--batch", "1", "--vocab", "512");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("config: llama 4 layers, hidden 256, vocab 512, seq 16, batch 1, LoRA r=16 "
                + "all-linear, cpu fp32"), run.out());
        assertTrue(run.out().contains("Device: cpu (") && run.out().contains("because --device cpu (the default)"),
                run.out());
        assertTrue(run.out().contains("plain f32 matmul:") && run.out().contains("peak RSS:"), run.out());
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        Run vocab = bench("--shape", "smollm2-135m", "--vocab", "100");
        assertEquals(2, vocab.exit());
        assertTrue(vocab.err().contains("--vocab sets the built-in model's vocabulary"), vocab.err());
        Run head = bench("--shape", "smollm2-135m", "--targets", "q_proj,lm_head", "--device", "cpu");
        assertEquals(2, head.exit());
        assertTrue(head.err().contains("--targets: unknown module(s) [lm_head] (lm_head is never adapted)"), head.err());
        Run device = bench("--shape", "smollm2-135m", "--device", "gpu");
        assertEquals(2, device.exit());
        assertTrue(device.err().contains("--device must be cpu, cuda or cuda:N, got 'gpu'"), device.err());
        Run seq = bench("--config", tinyConfig.toString(), "--seq", "1", "--device", "cpu");
        assertEquals(2, seq.exit());
        assertTrue(seq.err().contains("--seq must be at least 2, got 1"), seq.err());
    }

    @Test
    void theDefaultDeviceOfAShapeIsCudaAndItIsNeverReplacedByTheCpu() {
        assumeTrue(CudaInventory.probe().gpus().isEmpty(), "this machine has a GPU");
        Run run = bench("--config", tinyConfig.toString(), "--seq", "16", "--steps", "1");
        GpuUnavailableException e = assertInstanceOf(GpuUnavailableException.class, run.failure());
        assertTrue(e.getMessage().startsWith("GpuUnavailable: --device cuda (the default) asks for 1 GPU (cuda:0)"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("Pass --device cpu to measure the CPU instead"), e.getMessage());
        assertEquals("", run.out(), "nothing was measured");
    }

    private static boolean python() {
        try {
            exec("python3", "--version");
            return true;
        } catch (IOException | InterruptedException | AssertionError e) {
            return false;
        }
    }

    private static String exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
        return output;
    }
}
