package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.cli.MergeCommand;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.storage.CompletionManifest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MergeCommandTest {

    private static final List<String> MODULES = List.of("q_proj", "v_proj");

    @TempDir
    Path tmp;

    @Test
    void mergesLocalFoldersAndPublishesTheResultAsOneUnit() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.LLAMA, "bfloat16");
        Path model = MergeFixtures.writeModel(config, 51, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 4, 8, false, MODULES,
                MergeFixtures.randomAdapterTensors(config, 4, MODULES, 52));
        Path out = tmp.resolve("results").resolve("merged");
        Files.createDirectories(out.getParent());
        Path work = tmp.resolve("work");

        StringWriter stdout = new StringWriter();
        int exit = run(stdout, "--model", model.toString(), "--adapter", adapter.toString(), "--out", out.toString(),
                "--dtype", "fp16", "--max-shard-size", "60KB", "--work-dir", work.toString());

        assertEquals(0, exit);
        assertTrue(Files.isRegularFile(out.resolve(CompletionManifest.COMPLETE)), "published with its manifest");
        assertTrue(Files.isRegularFile(out.resolve(ShardedWeights.INDEX_FILE)), "60KB shards need an index");
        try (ShardedWeights merged = ShardedWeights.open(out); ShardedWeights base = ShardedWeights.open(model)) {
            assertEquals(base.names(), merged.names());
            assertEquals(DType.F16, merged.info("model.embed_tokens.weight").dtype());
        }
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(List.of(), left.toList(), "the staging folder is removed");
        }
    }

    @Test
    void badAdapterFailsWithoutPublishingAnything() throws IOException {
        ModelConfig config = MergeFixtures.tinyConfig(Architecture.LLAMA, "bfloat16");
        Path model = MergeFixtures.writeModel(config, 53, tmp.resolve("base"));
        Path adapter = MergeFixtures.writeAdapter(tmp.resolve("adapter"), 8, 8, false, MODULES,
                MergeFixtures.randomAdapterTensors(config, 4, MODULES, 54)); // r = 8 in the config, 4 in the tensors
        Path results = Files.createDirectories(tmp.resolve("results"));

        StringWriter err = new StringWriter();
        int exit = new CommandLine(new MergeCommand()).setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(err)).setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("error: " + e.getMessage());
                    return 1;
                }).execute("--model", model.toString(), "--adapter", adapter.toString(),
                        "--out", results.resolve("merged").toString(), "--work-dir", tmp.resolve("work").toString());

        assertNotEquals(0, exit);
        assertTrue(err.toString().contains("cannot be merged into model " + model + ": rank mismatch: "
                + "'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 64] (rank 4) but "
                + "adapter_config.json has r = 8"), "the failure must be the rank mismatch:\n" + err);
        try (Stream<Path> left = Files.list(results)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void badOptionsAreRefusedBeforeAnyWork() {
        assertRefused("--dtype must be bf16, fp16 or fp32, was 'int8'", "--dtype", "int8");
        assertRefused("max shard size must be a size such as 5GB", "--max-shard-size", "5Gb");
        assertRefused("must name a folder to create inside an existing location", "--out", "s3://bucket");
    }

    private static void assertRefused(String expected, String... options) {
        List<String> args = new ArrayList<>(List.of("--model", "no-such-model", "--adapter",
                "no-such-adapter", "--out", "merged"));
        for (int i = 0; i < options.length; i += 2) {
            int at = args.indexOf(options[i]);
            if (at >= 0) {
                args.set(at + 1, options[i + 1]);
            } else {
                args.add(options[i]);
                args.add(options[i + 1]);
            }
        }
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new MergeCommand()).setErr(new PrintWriter(err));
        assertNotEquals(0, cli.execute(args.toArray(String[]::new)));
        assertTrue(err.toString().contains(expected), "expected [" + expected + "] in:\n" + err);
    }

    private static int run(StringWriter stdout, String... args) {
        return new CommandLine(new MergeCommand()).setOut(new PrintWriter(stdout))
                .setErr(new PrintWriter(new StringWriter())).execute(args);
    }
}
