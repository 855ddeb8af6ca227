package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.trainer.model.ModelLoadException;
import io.kubelora.trainer.storage.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run checks of its inputs before the slow work, so that a broken input fails it in its first seconds. */
class InputChecksTest {

    @TempDir
    Path dir;

    /**
     * A config.json the trainer cannot read fails the run before the tokenizer is loaded (this model folder has
     * none) and before the dataset is fetched (this one is not JSONL): the error is the config's, naming the field.
     */
    @Test
    void configJsonIsCheckedBeforeTheTokenizerAndTheDataset() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": "big"}""");
        Path data = Files.write(dir.resolve("data.jsonl"), List.of("not json"));
        Path file = RunYaml.named("bad-config").set("baseModel.uri", model).set("dataset.uri", data)
                .set("output.uri", dir.resolve("out")).set("resources.gpus", 0).write(dir.resolve("run.yaml"));

        TinyRuns.Outcome outcome;
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            outcome = TinyRuns.run(LoraFineTuneYaml.read(file), storage, dir.resolve("work"));
        }

        assertTrue(outcome.failure() instanceof ModelLoadException, String.valueOf(outcome.failure()));
        assertEquals(model.resolve("config.json") + ": field 'hidden_size' must be an integer, got \"big\"",
                outcome.failure().getMessage());
        assertTrue(outcome.log().contains("Fetching base model "), outcome.log());
        assertFalse(outcome.log().contains("Fetching dataset"), "the dataset was not fetched:\n" + outcome.log());
        assertFalse(Files.exists(dir.resolve("out")), "nothing was written");
    }
}
