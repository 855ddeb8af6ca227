package io.kubelora.trainer.merge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.merge.MergePlan.AdaptedLinear;
import io.kubelora.trainer.merge.MergePlan.SourceTensor;
import io.kubelora.trainer.merge.ShardLayout.OutputTensor;
import io.kubelora.trainer.merge.ShardLayout.Shard;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.storage.CompletionManifest;
import io.kubelora.trainer.storage.LocalFiles;
import io.kubelora.trainer.storage.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Folds a PEFT LoRA adapter into its base model: W' = W + scaling · B·A for every adapted linear (scaling =
 * lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA), every other tensor copied, and the result saved as a
 * plain Hugging Face model folder that needs no adapter support to serve: config.json with the new
 * {@code torch_dtype}, safetensors shards with the base's tensor names and shapes (plus
 * {@code model.safetensors.index.json} when there are several), and the tokenizer, generation config and other
 * small files of the base.
 *
 * <p>A QLoRA adapter is merged into the ORIGINAL 16-bit weights, read again from the base model folder, never
 * into the NF4 copy used while training: the 4-bit quantization error is not baked into the merged model, and
 * the result is what the adapter would compute on top of the full-precision base.
 *
 * <p>Streamed: tensors are processed one after another in blocks of rows ({@link TensorTranscoder}), so memory
 * stays at about 16 MiB of buffers plus one linear's A and B whatever the model's size (a 270 MB model with
 * 65 MB tensors merges under -Xmx16m); tensors whose bytes do not change are copied file to file by the kernel.
 * Everything is checked from the headers before a byte is written ({@link MergePlan}), output goes to a hidden
 * sibling folder, and only a complete model is renamed to the destination: a failed merge leaves nothing behind.
 */
public final class ModelMerger {

    public static final String CONFIG_FILE = "config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Weight files of other formats, never copied next to the merged safetensors. */
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".safetensors.index.json", ".bin",
            ".bin.index.json", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx");

    private ModelMerger() {
    }

    /**
     * Merges the adapter in {@code adapterDir} into the model in {@code modelDir} and writes the result to
     * {@code outDir}, which must not exist yet.
     *
     * @throws MergeInputException when the adapter does not fit the model (nothing is written)
     */
    public static MergeResult merge(Path modelDir, Path adapterDir, Path outDir, MergeOptions options)
            throws IOException {
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new IllegalArgumentException("output folder " + target + " already exists; merge into a new folder");
        }
        ObjectNode config = readConfig(modelDir);
        PeftAdapterConfig adapterConfig = PeftAdapterConfig.read(adapterDir);
        Path adapterWeights = adapterDir.resolve(PeftAdapter.WEIGHTS_FILE);
        if (!Files.isRegularFile(adapterWeights)) {
            throw new IllegalArgumentException(adapterWeights + ": not found (a PEFT adapter folder needs "
                    + PeftAdapter.WEIGHTS_FILE + ")");
        }
        try (ShardedWeights base = ShardedWeights.open(modelDir);
             SafetensorsFile adapter = SafetensorsFile.open(adapterWeights)) {
            MergePlan plan = MergePlan.create(base, adapter, adapterConfig,
                    "adapter " + adapterDir + " cannot be merged into model " + modelDir);
            DType dtype = options.dtype();
            List<OutputTensor> outputs = new ArrayList<>();
            for (SourceTensor t : plan.tensors()) {
                DType outType = t.info().dtype().isFloatingPoint() ? dtype : t.info().dtype();
                outputs.add(new OutputTensor(t.name(), outType, t.info().shape()));
            }
            List<Shard> shards = ShardLayout.plan(outputs, options.maxShardBytes());
            Files.createDirectories(target.getParent());
            Path staging = target.resolveSibling("." + target.getFileName() + ".merging-" + UUID.randomUUID());
            Files.createDirectory(staging);
            try {
                writeShards(plan, adapter, shards, dtype, staging);
                if (shards.size() > 1) {
                    writeIndex(shards, staging.resolve(ShardedWeights.INDEX_FILE));
                }
                config.put("torch_dtype", dtype.torchDtype());
                if (config.has("dtype")) { // the newer transformers spelling
                    config.put("dtype", dtype.torchDtype());
                }
                JSON.writeValue(staging.resolve(CONFIG_FILE).toFile(), config);
                copySmallFiles(modelDir, staging);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException | Error e) {
                try {
                    LocalFiles.deleteTree(staging);
                } catch (StorageException cleanup) {
                    e.addSuppressed(cleanup); // the merge's own error matters more; a hidden leftover is harmless
                }
                throw e;
            }
            long bytes = shards.stream().mapToLong(Shard::byteLength).sum();
            return new MergeResult(target, plan.adaptedCount(), outputs.size(), shards.size(), bytes);
        }
    }

    private static void writeShards(MergePlan plan, SafetensorsFile adapter, List<Shard> shards, DType dtype,
                                    Path dir) throws IOException {
        Map<String, SourceTensor> sources = new TreeMap<>();
        plan.tensors().forEach(t -> sources.put(t.name(), t));
        try (TensorTranscoder transcoder = new TensorTranscoder()) {
            for (Shard shard : shards) {
                try (ShardFileWriter writer = ShardFileWriter.create(dir.resolve(shard.fileName()), shard.tensors())) {
                    for (OutputTensor t : shard.tensors()) {
                        SourceTensor source = sources.get(t.name());
                        AdaptedLinear linear = plan.adapted(t.name());
                        if (linear == null) {
                            transcoder.copy(source.file(), source.info(), t.dtype(), writer);
                        } else {
                            transcoder.merge(source.file(), source.info(), plan.delta(adapter, linear), dtype, writer);
                        }
                    }
                    transcoder.flush(); // the last blocks must be written before the shard is closed
                }
            }
        }
    }

    /** model.safetensors.index.json as transformers writes it: total_size and a sorted weight_map. */
    private static void writeIndex(List<Shard> shards, Path file) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", shards.stream().mapToLong(Shard::byteLength).sum());
        Map<String, String> weightMap = new TreeMap<>();
        for (Shard shard : shards) {
            shard.tensors().forEach(t -> weightMap.put(t.name(), shard.fileName()));
        }
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        JSON.writeValue(file.toFile(), index);
    }

    private static ObjectNode readConfig(Path modelDir) {
        Path file = modelDir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": not found (a Hugging Face model folder needs " + CONFIG_FILE
                    + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot be read: " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode object)) {
            throw new IllegalArgumentException(file + ": must hold a JSON object");
        }
        if (object.has("quantization_config")) {
            throw new IllegalArgumentException(file + ": field 'quantization_config' is set: merge into the "
                    + "original 16-bit model, not a pre-quantized one");
        }
        return object;
    }

    /** Tokenizer, generation config, license and the like: top-level files that are not weights or markers. */
    private static void copySmallFiles(Path modelDir, Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> children = Files.list(modelDir)) {
            files = children.filter(Files::isRegularFile).filter(ModelMerger::isCopiedAlong).toList();
        }
        for (Path file : files) {
            Files.copy(file, dir.resolve(file.getFileName().toString()));
        }
    }

    private static boolean isCopiedAlong(Path file) {
        String name = file.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && !CompletionManifest.isReservedName(name) && !name.equals(CONFIG_FILE)
                && WEIGHT_SUFFIXES.stream().noneMatch(lower::endsWith);
    }
}
