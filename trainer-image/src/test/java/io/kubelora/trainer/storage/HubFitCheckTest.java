package io.kubelora.trainer.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.memory.WontFitException;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.train.FineTuneRun;
import io.kubelora.trainer.train.RunYaml;
import io.kubelora.trainer.train.SpecTranslation;
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
 * A run of a hub model whose memory plan exceeds the GPU asks the hub for config.json and nothing else: the
 * weights (which this hub would serve, 10 MB of them) are never requested.
 */
class HubFitCheckTest {

    @TempDir
    Path tmp;

    @Test
    void aRunThatCannotFitNeverAsksForTheWeights() throws Exception {
        Path shape = Files.createDirectories(tmp.resolve("shape"));
        ModelShapes.config("llama-3.1-8b").write(shape);
        try (HubFixture hub = new HubFixture()) {
            hub.addRepo("meta-llama/Llama-3.1-8B", false, Map.of(
                    "config.json", HubFixture.regular(Files.readString(shape.resolve("config.json"))),
                    "tokenizer.json", HubFixture.regular("{}"),
                    "model.safetensors", HubFixture.lfs(new byte[10_000_000])));
            Path spec = RunYaml.named("eight-b").set("baseModel.uri", "hf://meta-llama/Llama-3.1-8B")
                    .set("dataset.uri", "hf://datasets/acme/chat/train.jsonl").set("dataset.maxSeqLength", 2048)
                    .set("training.batchSize", 2).set("output.uri", tmp.resolve("out")).set("resources.gpus", 0)
                    .write(tmp.resolve("run.yaml"));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            try (Storage storage = Storage.fromEnvironment(Map.of("HF_ENDPOINT", hub.endpoint().toString(),
                    "KUBELORA_CACHE_DIR", tmp.resolve("cache").toString()), tmp)) {
                LoraFineTune resource = LoraFineTuneYaml.read(spec);
                FineTuneRun run = new FineTuneRun(resource, storage, tmp.resolve("work"),
                        new PrintStream(log, true, StandardCharsets.UTF_8), List.of(),
                        SpecTranslation.deviceRequest(resource.getSpec(), Map.of(), null), 16L << 30);
                WontFitException e = assertThrows(WontFitException.class, run::execute);
                assertTrue(e.getMessage().contains("hf://meta-llama/Llama-3.1-8B"), e.getMessage());
            }
            assertEquals(List.of(), hub.cdnRequests, "the weights were downloaded");
            assertTrue(hub.hubRequests.stream().allMatch(r -> r.endsWith("/config.json")),
                    "only config.json was asked for: " + hub.hubRequests);
        }
    }
}
