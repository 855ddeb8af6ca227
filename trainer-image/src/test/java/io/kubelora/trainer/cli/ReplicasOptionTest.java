package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.train.ColourTask;
import io.kubelora.trainer.train.RunYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubelora train -f FILE --replicas N} trains N data-parallel replicas on the CPU, training.batchSize rows
 * each: an epoch of 2 examples in batches of 1 is 1 optimizer step on 2 replicas instead of 2 on one.
 */
class ReplicasOptionTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void modelAndData() throws Exception {
        ColourTask.model(dir, 3);
        Files.write(dir.resolve("data.jsonl"), List.of(
                "{\"instruction\": \"Add 1 and 2.\", \"output\": \"3\"}",
                "{\"instruction\": \"Add 2 and 2.\", \"output\": \"4\"}"));
    }

    private static Path config(String run) throws Exception {
        return RunYaml.named(run).set("baseModel.uri", dir.resolve("model")).set("dataset.uri", dir.resolve("data.jsonl"))
                .set("dataset.format", "alpaca").set("dataset.maxSeqLength", 32).set("lora.rank", 4)
                .set("training.epochs", 1).set("training.batchSize", 1).set("output.uri", dir.resolve("out-" + run))
                .set("resources.gpus", 0).write(dir.resolve(run + ".yaml"));
    }

    @Test
    void twoReplicasTrainAnEpochInHalfTheSteps() throws Exception {
        int exit = Main.run("train", "-f", config("two").toString(), "--replicas", "2", "--work-dir",
                dir.resolve("work").toString());
        assertEquals(0, exit);
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("out-two/summary.json").toFile());
        assertEquals(2, summary.get("replicas").asInt());
        assertEquals(1, summary.get("steps").asInt(), "2 rows, 1 per replica and micro-batch");
    }

    @Test
    void noReplicaIsAnInvalidRequest() throws Exception {
        int exit = Main.run("train", "-f", config("none").toString(), "--replicas", "0", "--work-dir",
                dir.resolve("work").toString());
        assertEquals(TrainerExitCode.INVALID_SPEC.code(), exit);
    }
}
