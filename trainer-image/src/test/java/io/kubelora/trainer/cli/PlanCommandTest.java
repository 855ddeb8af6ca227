package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.train.RunYaml;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `kubelora plan` on a model folder that holds only Llama-3.1-8B's public config.json. */
class PlanCommandTest {

    private static final long GIB = 1L << 30;

    @TempDir
    static Path dir;

    @BeforeAll
    static void configOnly() throws Exception {
        ModelShapes.config("llama-3.1-8b").write(Files.createDirectories(dir.resolve("llama-3.1-8b")));
    }

    /** torchtune's QLoRA recipe: r=8 on q, v, o and the MLP, batch 2 x 2048, checkpointing. */
    private static RunYaml torchtune() {
        return RunYaml.named("qlora").set("baseModel.uri", dir.resolve("llama-3.1-8b"))
                .set("dataset.uri", dir.resolve("never-read.jsonl")).set("dataset.maxSeqLength", 2048)
                .set("quantization", "nf4").set("lora.rank", 8).set("lora.dropout", 0.0)
                .set("training.batchSize", 2).set("output.uri", dir.resolve("out"));
    }

    private static int plan(StringWriter out, Path spec, String... options) {
        String[] args = new String[options.length + 2];
        args[0] = "-f";
        args[1] = spec.toString();
        System.arraycopy(options, 0, args, 2, options.length);
        return new CommandLine(new PlanCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter())).execute(args);
    }

    @Test
    void plansTheTorchtuneRecipeAsJsonForMachines() throws Exception {
        Path spec = torchtune().write(dir.resolve("torchtune.yaml"));
        Files.writeString(spec, Files.readString(spec).replace("lora:\n", "lora:\n    targetModules: [q_proj, v_proj, "
                + "o_proj, gate_proj, up_proj, down_proj]\n"));
        StringWriter out = new StringWriter();
        assertEquals(0, plan(out, spec, "--gpu-memory", "8Gi", "--output", "json"));
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertEquals("gpu", json.get("device").asText());
        assertTrue(json.get("total_bytes").asLong() <= 7 * GIB, out.toString());
        assertTrue(json.get("fits").asBoolean());
        assertEquals(8 * GIB, json.get("device_memory_bytes").asLong());
        assertTrue(out.toString().contains("\"name\" : \"CUDA context\""), out.toString());
        assertTrue(json.get("settings").asText().contains("LoRA r=8 on 6 modules"), json.get("settings").asText());
    }

    @Test
    void sixteenBitWeightsDoNotFitSixteenGibAndTheTextSaysWhatWould() throws Exception {
        Path spec = torchtune().set("quantization", "none").set("lora.rank", 16).write(dir.resolve("bf16.yaml"));
        StringWriter out = new StringWriter();
        assertEquals(TrainerExitCode.WONT_FIT.code(), plan(out, spec, "--gpu-memory", "16Gi"));
        String text = out.toString();
        assertTrue(text.contains("decoder linears") && text.contains("13.00 GiB"), text);
        assertTrue(text.contains("GPU memory 16.00 GiB: does not fit"), text);
        assertTrue(text.contains("fits with quantization: nf4"), text);
        StringWriter large = new StringWriter();
        assertEquals(0, plan(large, spec, "--gpu-memory", "80Gi"));
        assertTrue(large.toString().contains("GPU memory 80.00 GiB: fits"), large.toString());
    }

    @Test
    void aCpuRunIsPlannedAsOneAndReplicasAddTheirBuffer() throws Exception {
        Path cpu = torchtune().set("resources.gpus", 0).write(dir.resolve("cpu.yaml"));
        StringWriter out = new StringWriter();
        assertEquals(0, plan(out, cpu));
        assertTrue(out.toString().contains("CPU run (host memory)"), out.toString());
        assertFalse(out.toString().contains("CUDA context"), out.toString());
        StringWriter replicated = new StringWriter();
        assertEquals(0, plan(replicated, torchtune().write(dir.resolve("gpu.yaml")), "--replicas", "4"));
        assertTrue(replicated.toString().contains("per GPU (4 replicas)")
                && replicated.toString().contains("gradient all-reduce buffer"), replicated.toString());
    }
}
