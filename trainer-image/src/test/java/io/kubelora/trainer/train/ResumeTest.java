package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.storage.CompletionManifest;
import io.kubelora.trainer.storage.S3ProxyServer;
import io.kubelora.trainer.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Resuming in process, a crash standing in for a killed pod (the process-level kill is ResumeAfterKillTest's):
 * from checkpoints in S3, past an incomplete newest checkpoint, not from another configuration's checkpoints,
 * and not at all with training.resume: never. The summary of a resumed run covers every process.
 */
class ResumeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void resumesFromCheckpointsInS3PassingOverAnIncompleteNewestOne() throws Exception {
        try (S3ProxyServer server = S3ProxyServer.start(); S3Client raw = server.rawClient()) {
            raw.createBucket(b -> b.bucket("runs"));
            Map<String, String> env = new HashMap<>(server.env());
            env.put("KUBELORA_CACHE_DIR", dir.resolve("cache").toString());
            String output = "s3://runs/colour";
            TinyRuns.Outcome crashed;
            try (Storage storage = Storage.fromEnvironment(env, dir)) {
                crashed = TinyRuns.run(TinyRuns.spec("colour", output, "maxSteps: 6"), storage, dir.resolve("w1"),
                        TinyRuns.crashAt(5));
                assertNotNull(crashed.failure());
                assertEquals(List.of("step-2", "step-4"), storage.list(output + "/checkpoints"));
            }
            // step-4 as an upload cut off by the kill leaves it: in-progress marker, no manifest
            raw.deleteObject(b -> b.bucket("runs").key("colour/checkpoints/step-4/" + CompletionManifest.COMPLETE));
            raw.putObject(b -> b.bucket("runs").key("colour/checkpoints/step-4/" + CompletionManifest.IN_PROGRESS),
                    RequestBody.fromString("{}"));

            TinyRuns.Outcome resumed;
            String metrics;
            JsonNode summary;
            try (Storage storage = Storage.fromEnvironment(env, dir)) {
                resumed = TinyRuns.run(TinyRuns.spec("colour", output, "maxSteps: 6"), storage, dir.resolve("w2"));
                resumed.ok();
                metrics = storage.readString(output + "/metrics.jsonl");
                summary = JSON.readTree(storage.readString(output + "/summary.json"));
            }
            assertTrue(resumed.log().contains("Checkpoint step-4 of s3://runs/colour/checkpoints is incomplete (its "
                    + "writer was interrupted): passed over"), resumed.log());
            assertTrue(resumed.log().contains("Resumed from checkpoint step-2 of s3://runs/colour/checkpoints"),
                    resumed.log());
            assertEquals(2, resumed.starts().get(0).stepsDone());
            assertEquals(List.of(3, 4, 5, 6), steps(resumed.reports()), "the second process trained steps 3 to 6");

            List<String> lines = metrics.lines().toList();
            assertEquals(List.of(1, 2, 3, 4, 5, 6), lines.stream().map(l -> field(l, "step").asInt()).toList());
            assertEquals(crashedMetricsLines(crashed, 2), lines.subList(0, 2).stream()
                    .map(l -> field(l, "step").asInt() + " " + field(l, "loss").asDouble()).toList(),
                    "steps 1-2 are the first process's, restored from the checkpoint");
            assertEquals(6, summary.get("steps").asInt());
            assertEquals(2, summary.get("processes").asInt());
            long firstProcessTokensAtCheckpoint = crashed.reports().get(1).trainedTokens();
            long secondProcessTokens = resumed.reports().get(resumed.reports().size() - 1).trainedTokens();
            assertEquals(firstProcessTokensAtCheckpoint + secondProcessTokens, summary.get("trained_tokens").asLong(),
                    "the summary counts the tokens of both processes, each step once");
        }
    }

    @Test
    void aCheckpointOfAnotherConfigurationIsRefusedAndResumeNeverStartsOver() throws IOException {
        Path out = dir.resolve("out");
        try (Storage storage = Storage.fromEnvironment(Map.of(), dir)) {
            assertNotNull(TinyRuns.run(TinyRuns.spec("r", "out"), storage, dir.resolve("w"), TinyRuns.crashAt(3))
                    .failure());
            assertTrue(Files.exists(out.resolve("checkpoints/step-2/trainer_state.json")));

            TinyRuns.Outcome other = TinyRuns.run(TinyRuns.spec("r", "out", "learningRate: 0.01"), storage,
                    dir.resolve("w"));
            assertTrue(other.failure().getMessage().startsWith("spec.output.uri (out): it holds the unfinished run 'r' "
                    + "of another configuration"), other.failure().getMessage());

            Files.delete(out.resolve(RunOutput.RECORD)); // as an output of a version without run records
            other = TinyRuns.run(TinyRuns.spec("r", "out", "learningRate: 0.01"), storage, dir.resolve("w"));
            assertTrue(other.failure().getMessage().matches("spec.output.uri \\(out\\): checkpoints/ holds checkpoints "
                    + "of another configuration \\(\\w+; this run is \\w+\\): choose another output.uri, or set "
                    + "training.resume: never to delete them and start over"), other.failure().getMessage());
            assertTrue(other.log().isEmpty(), "refused before the model and data were fetched: " + other.log());
            assertFalse(Files.exists(out.resolve(RunOutput.RECORD)), "and before anything was written");
            assertEquals(List.of(), other.reports());

            TinyRuns.Outcome fresh = TinyRuns.run(TinyRuns.spec("r", "out", "learningRate: 0.01", "resume: never",
                    "checkpointEverySteps: 3"), storage, dir.resolve("w"));
            assertEquals(4, fresh.ok().summary().steps());
            assertFalse(fresh.log().contains("Resumed"), fresh.log());
            assertEquals(List.of(1, 2, 3, 4), steps(fresh.reports()));
            assertEquals(1, fresh.ok().summary().processes());
            assertEquals(List.of("step-3"), storage.list("out/checkpoints"), "the old checkpoints were deleted");
        }
    }

    private static List<String> crashedMetricsLines(TinyRuns.Outcome crashed, int upTo) {
        List<String> lines = new ArrayList<>();
        for (StepReport r : crashed.reports().subList(0, upTo)) {
            lines.add(r.step() + " " + Math.round(r.loss() * 1e6) / 1e6);
        }
        return lines;
    }

    private static List<Integer> steps(List<StepReport> reports) {
        return reports.stream().map(StepReport::step).toList();
    }

    private static JsonNode field(String jsonLine, String name) {
        try {
            return JSON.readTree(jsonLine).get(name);
        } catch (IOException e) {
            throw new AssertionError(jsonLine, e);
        }
    }
}
