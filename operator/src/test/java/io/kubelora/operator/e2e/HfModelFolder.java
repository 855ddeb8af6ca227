package io.kubelora.operator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Hugging Face model folder (see FORMATS.md) checked for completeness on opening: config.json,
 * tokenizer.json, and the weights as one model.safetensors or as shards listed by model.safetensors.index.json,
 * every shard present and holding exactly the tensors the index maps to it.
 */
final class HfModelFolder {

    static final String CONFIG = "config.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode config;
    /** Every tensor's file, by tensor name. */
    private final Map<String, SafetensorsFile> files;
    private final boolean sharded;

    private HfModelFolder(Path dir, JsonNode config, Map<String, SafetensorsFile> files, boolean sharded) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.sharded = sharded;
    }

    static HfModelFolder open(Path dir) throws IOException {
        assertTrue(Files.isRegularFile(dir.resolve(CONFIG)), "no " + CONFIG + " in " + dir);
        assertTrue(Files.isRegularFile(dir.resolve(TOKENIZER)), "no " + TOKENIZER + " in " + dir);
        JsonNode config = JSON.readTree(dir.resolve(CONFIG).toFile());
        Map<String, SafetensorsFile> files = new TreeMap<>();
        boolean sharded = Files.isRegularFile(dir.resolve(INDEX));
        if (!sharded) {
            assertTrue(Files.isRegularFile(dir.resolve(SINGLE_FILE)), "neither " + SINGLE_FILE + " nor " + INDEX
                    + " in " + dir);
            SafetensorsFile single = SafetensorsFile.open(dir.resolve(SINGLE_FILE));
            single.tensors().keySet().forEach(name -> files.put(name, single));
            return new HfModelFolder(dir, config, files, false);
        }
        Map<String, Set<String>> byShard = new TreeMap<>();
        JSON.readTree(dir.resolve(INDEX).toFile()).path("weight_map").fields().forEachRemaining(e ->
                byShard.computeIfAbsent(e.getValue().asText(), f -> new TreeSet<>()).add(e.getKey()));
        assertTrue(byShard.size() > 0, INDEX + " of " + dir + " maps no tensors");
        Map<String, SafetensorsFile> opened = new HashMap<>();
        for (Map.Entry<String, Set<String>> shard : byShard.entrySet()) {
            Path file = dir.resolve(shard.getKey());
            assertTrue(Files.isRegularFile(file), INDEX + " names " + shard.getKey() + ", missing in " + dir);
            SafetensorsFile weights = opened.computeIfAbsent(shard.getKey(), f -> openShard(file));
            assertEquals(shard.getValue(), new TreeSet<>(weights.tensors().keySet()),
                    "the tensors of " + file + " against " + INDEX);
            shard.getValue().forEach(name -> files.put(name, weights));
        }
        return new HfModelFolder(dir, config, files, true);
    }

    JsonNode config() {
        return config;
    }

    /** True when the weights are shards plus an index. */
    boolean sharded() {
        return sharded;
    }

    Set<String> tensorNames() {
        return files.keySet();
    }

    SafetensorsFile.Tensor tensor(String name) {
        SafetensorsFile file = files.get(name);
        if (file == null) {
            throw new IllegalArgumentException("no tensor " + name + " in " + dir);
        }
        return file.tensors().get(name);
    }

    byte[] bytes(String name) throws IOException {
        tensor(name);
        return files.get(name).bytes(name);
    }

    private static SafetensorsFile openShard(Path file) {
        try {
            return SafetensorsFile.open(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
