package io.kubelora.trainer.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model folder as one name -> tensor view: either a single
 * {@code model.safetensors}, or shards listed by {@code model.safetensors.index.json} ({@code weight_map}:
 * tensor name -> shard file name).
 */
public final class ShardedWeights implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path folder;
    private final Map<String, SafetensorsFile> fileByTensor;
    private final Map<String, SafetensorsFile> openFiles;

    private ShardedWeights(Path folder, Map<String, SafetensorsFile> fileByTensor,
                           Map<String, SafetensorsFile> openFiles) {
        this.folder = folder;
        this.fileByTensor = fileByTensor;
        this.openFiles = openFiles;
    }

    /** Opens the weights of {@code modelDir}, preferring the shard index when both forms exist. */
    public static ShardedWeights open(Path modelDir) throws IOException {
        Path index = modelDir.resolve(INDEX_FILE);
        Path single = modelDir.resolve(SINGLE_FILE);
        Map<String, SafetensorsFile> open = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new TreeMap<>();
        try {
            if (Files.isRegularFile(index)) {
                for (Map.Entry<String, String> e : readWeightMap(index).entrySet()) {
                    SafetensorsFile shard = open.get(e.getValue());
                    if (shard == null) {
                        shard = SafetensorsFile.open(modelDir.resolve(e.getValue()));
                        open.put(e.getValue(), shard);
                    }
                    if (shard.find(e.getKey()).isEmpty()) {
                        throw new SafetensorsFormatException(index, "weight_map puts tensor '" + e.getKey()
                                + "' in " + e.getValue() + ", which does not contain it");
                    }
                    byTensor.put(e.getKey(), shard);
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile file = SafetensorsFile.open(single);
                open.put(SINGLE_FILE, file);
                file.tensors().forEach(t -> byTensor.put(t.name(), file));
            } else {
                throw new java.nio.file.NoSuchFileException(modelDir.toString(), null,
                        "no " + SINGLE_FILE + " or " + INDEX_FILE + " in the model folder");
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : open.values()) {
                f.close();
            }
            throw e;
        }
        return new ShardedWeights(modelDir, byTensor, open);
    }

    public Path folder() {
        return folder;
    }

    /** Every tensor name, sorted. */
    public Set<String> names() {
        return fileByTensor.keySet();
    }

    public boolean contains(String name) {
        return fileByTensor.containsKey(name);
    }

    /** The header entry of {@code name}, or an exception naming the folder and tensor. */
    public TensorInfo info(String name) throws IOException {
        return file(name).tensor(name);
    }

    /** The shard that holds {@code name}. */
    public SafetensorsFile file(String name) throws IOException {
        SafetensorsFile file = fileByTensor.get(name);
        if (file == null) {
            throw new SafetensorsFormatException(folder, "weights have no tensor '" + name + "'");
        }
        return file;
    }

    /** The tensor converted to fp32. */
    public float[] readFloats(String name) throws IOException {
        return file(name).readFloats(name);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : openFiles.values()) {
            try {
                f.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SafetensorsFormatException(index, "not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsFormatException(index, "missing object 'weight_map'");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String file = e.getValue().asText("");
            if (!e.getValue().isTextual() || file.isEmpty() || file.contains("/") || file.contains("\\")
                    || file.equals("..") || file.equals(".")) {
                throw new SafetensorsFormatException(index, "weight_map." + e.getKey()
                        + " must name a file in the model folder, got " + e.getValue());
            }
            weightMap.put(e.getKey(), file);
        }
        return weightMap;
    }
}
