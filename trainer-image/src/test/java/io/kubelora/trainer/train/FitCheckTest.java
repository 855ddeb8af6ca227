package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.WeightBytes;
import io.kubelora.trainer.memory.WontFitException;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelLoadException;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.storage.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run reads its model's config.json before anything else: config problems come first, and a plan that cannot fit
 * the GPU stops the run before the weights, the tokenizer or the dataset are fetched (training.memoryCheck: enforce),
 * is only logged (warn) or not compared at all (off). A finished run records its planned and measured peaks.
 */
class FitCheckTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private FineTuneRun.Result run(RunYaml yaml, Long gpuMemory) throws Exception {
        LoraFineTune resource = LoraFineTuneYaml.read(yaml.write(dir.resolve("run.yaml")));
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            return new FineTuneRun(resource, storage, dir.resolve("work"),
                    new PrintStream(log, true, StandardCharsets.UTF_8), List.of(),
                    SpecTranslation.deviceRequest(resource.getSpec(), Map.of(), null), gpuMemory).execute();
        }
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    /** A model folder with nothing but the public config.json of Llama-3.1-8B: no weights, no tokenizer. */
    private Path configOnly(String shape) throws Exception {
        Path model = Files.createDirectories(dir.resolve("config-only"));
        ModelShapes.config(shape).write(model);
        return model;
    }

    @Test
    void configProblemsAreReportedBeforeTheTokenizerAndTheDataset() throws Exception {
        Path model = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(model.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], "
                + "\"hidden_size\": \"wide\"}");
        RunYaml yaml = RunYaml.named("broken").set("baseModel.uri", model).set("dataset.uri", dir.resolve("no.jsonl"))
                .set("output.uri", dir.resolve("out")).set("resources.gpus", 0);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> run(yaml, null));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("hidden_size"), e.getMessage());
        assertFalse(log().contains("Fetching"), "nothing was fetched before config.json was read:\n" + log());
    }

    @Test
    void aRunThatCannotFitStopsBeforeItsWeightsAreFetched() throws Exception {
        RunYaml yaml = RunYaml.named("too-big").set("baseModel.uri", configOnly("llama-3.1-8b"))
                .set("dataset.uri", dir.resolve("not-fetched.jsonl")).set("dataset.maxSeqLength", 2048)
                .set("lora.rank", 16).set("training.batchSize", 2).set("output.uri", dir.resolve("out"))
                .set("resources.gpus", 0);
        WontFitException e = assertThrows(WontFitException.class, () -> run(yaml, 16 * GIB));
        assertTrue(e.getMessage().contains("of the 16.00 GiB the GPU has"), e.getMessage());
        assertTrue(e.getMessage().contains("It fits with quantization: nf4"), e.getMessage());
        assertTrue(e.getMessage().contains("decoder linears 13.00 GiB"), e.getMessage());
        assertFalse(e.advice().fits());
        assertFalse(log().contains("Fetching"), "weights, tokenizer and dataset were never asked for:\n" + log());
        assertTrue(log().contains("Memory plan for"), log());

        // with nf4, as the advice says, the run passes the check and goes on to fetch its inputs
        log.reset();
        StorageException fetched = assertThrows(StorageException.class,
                () -> run(yaml.set("quantization", "nf4"), 16 * GIB));
        assertTrue(fetched.getMessage().contains("not-fetched.jsonl"), fetched.getMessage());
        assertTrue(log().contains("fits,") && log().contains("Fetching base model"), log());

        // off: the plan is logged, not compared
        log.reset();
        assertThrows(StorageException.class, () -> run(yaml.set("quantization", "none")
                .set("training.memoryCheck", "off"), GIB));
        assertTrue(log().contains("Memory plan for") && !log().contains("does not fit"), log());
    }

    @Test
    void warnTrainsAnywayAndTheSummaryHasTheMemoryFigures() throws Exception {
        Path model = ColourTask.model(dir, 3);
        RunYaml yaml = RunYaml.named("tight").set("baseModel.uri", model).set("dataset.uri", ColourTask.data(dir))
                .set("dataset.format", "text").set("dataset.maxSeqLength", 32).set("lora.rank", 4)
                .set("training.maxSteps", 2).set("training.batchSize", 2).set("training.memoryCheck", "warn")
                .set("output.uri", dir.resolve("out")).set("resources.gpus", 0);
        FineTuneRun.Result warned = run(yaml, 1L << 20);
        assertTrue(log().contains("does not fit"), log());
        assertEquals(2, warned.summary().steps());

        JsonNode summary = new ObjectMapper().readTree(dir.resolve("out/summary.json").toFile());
        ModelConfig config = ModelConfig.read(model);
        LoraFineTune resource = LoraFineTuneYaml.read(dir.resolve("run.yaml"));
        MemoryPlan plan = MemoryPlan.of(config, SpecTranslation.planSettings(resource.getSpec(), Device.gpu(), 1));
        assertEquals(plan.total(), summary.get("planned_peak_bytes").asLong(), "planned as the GPU run it stands for");
        assertTrue(summary.get("measured_peak_bytes").asLong() > 0);
        assertTrue(summary.get("measured_peak").asText().contains("VmHWM"));
        assertEquals(WeightBytes.onDevice(config, SpecTranslation.modelOptions(resource.getSpec(), Device.cpu())),
                summary.get("weight_bytes").asLong(), "the CPU run's fp32 weights");
        assertNull(summary.get("nf4_bits_per_parameter"));
    }
}
