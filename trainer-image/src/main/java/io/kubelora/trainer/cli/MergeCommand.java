package io.kubelora.trainer.cli;

import io.kubelora.api.MergeDtype;
import io.kubelora.trainer.merge.MergeOptions;
import io.kubelora.trainer.merge.MergeResult;
import io.kubelora.trainer.merge.MergedModelPublisher;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.train.SpecTranslation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * kubelora merge: folds a LoRA adapter into its base model and publishes a plain Hugging Face model folder.
 * Model and adapter may be local folders or remote URIs; the result is merged into a local staging folder and
 * then published as one unit (one atomic rename, a completion marker on object stores, one commit on the Hugging
 * Face Hub), so readers of {@code --out} never see a half-written model.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a PEFT LoRA adapter into its base model (W' = W + scaling * B A) and publish the result "
                + "as a Hugging Face model folder.")
public final class MergeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR|URI",
            description = "Base model folder: a local path, pvc://, file://, s3:// or hf:// URI. For a QLoRA adapter "
                    + "give the original 16-bit model.")
    String model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR|URI",
            description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors).")
    String adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR|URI",
            description = "Where to publish the merged model: a local path, pvc://, file:// or s3:// URI, or "
                    + "hf://<org>/<repo>[@revision] to push it to the Hugging Face Hub (token in HF_TOKEN).")
    String out;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "DTYPE",
            description = "Weight dtype of the merged model: bf16, fp16 or fp32 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = MergeOptions.DEFAULT_MAX_SHARD_SIZE, paramLabel = "SIZE",
            description = "Largest safetensors shard, e.g. 5GB (10^9 bytes), 500MB or 2GiB (2^30 bytes) "
                    + "(default ${DEFAULT-VALUE}).")
    String maxShardSize;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Local folder for staging the merged model (default: KUBELORA_CACHE_DIR or ./.kubelora).")
    Path workDir;

    @Override
    public Integer call() throws IOException {
        MergeDtype outputDtype = parseDtype(dtype);
        MergeOptions options = MergeOptions.of(SpecTranslation.tensorDtype(outputDtype), maxShardSize);
        Path work = workDir != null ? workDir
                : Path.of(System.getenv().getOrDefault("KUBELORA_CACHE_DIR", ".kubelora"));
        try (Storage storage = Storage.fromEnvironment(System.getenv(), Path.of("").toAbsolutePath())) {
            MergedModelPublisher publisher = new MergedModelPublisher(storage, System.getenv(), work);
            publisher.checkDestination(out, "--out");
            System.err.println("Device: this JVM (" + Runtime.getRuntime().availableProcessors() + " cores) because "
                    + "merging is exact fp32 arithmetic in Java, streamed shard by shard; no GPU is used");
            Path modelDir = storage.fetchDirectory(model);
            Path adapterDir = storage.fetchDirectory(adapter);
            long start = System.nanoTime();
            MergedModelPublisher.Published published = publisher.mergeAndPublish(modelDir, adapterDir, out, options,
                    "Merge LoRA adapter into " + model);
            MergeResult result = published.result();
            System.err.printf(Locale.ROOT, "Merged %d adapted linears into %s: %d tensors, %d shard(s), %.2f GB of "
                            + "%s weights in %.1f s%n", result.mergedLinears(), published.uri(), result.tensors(),
                    result.shards(), result.tensorBytes() / 1e9, outputDtype.name().toLowerCase(Locale.ROOT),
                    (System.nanoTime() - start) / 1e9);
            System.out.println(published.uri());
            return 0;
        }
    }

    private static MergeDtype parseDtype(String text) {
        for (MergeDtype d : MergeDtype.values()) {
            if (d.name().equalsIgnoreCase(text)) {
                return d;
            }
        }
        throw new IllegalArgumentException("--dtype must be bf16, fp16 or fp32, was '" + text + "'");
    }
}
