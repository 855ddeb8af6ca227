package io.kubelora.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real model shapes by name (llama-3.1-8b, qwen2.5-7b, ...): the public Hugging Face config.json files shipped
 * as resources under shapes/, for benchmarks and memory plans of models that are not downloaded.
 */
public final class ModelShapes {

    private static final String FOLDER = "shapes";
    private static final String SUFFIX = ".json";

    private ModelShapes() {
    }

    /** Every shape name, sorted. */
    public static List<String> names() {
        URL url = ModelShapes.class.getClassLoader().getResource(FOLDER);
        if (url == null) {
            throw new IllegalStateException("the " + FOLDER + "/ resources are missing from the classpath");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    return list(jar.getPath(FOLDER));
                }
            }
            return list(Path.of(uri));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the model shapes: " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config of shape {@code name}; an unknown name is an error listing the known ones. */
    public static ModelConfig config(String name) {
        String resource = FOLDER + "/" + name + SUFFIX;
        try (InputStream in = ModelShapes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("unknown model shape '" + name + "'; known shapes: "
                        + String.join(", ", names()));
            }
            return ModelConfigJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (IOException e) {
            throw new UncheckedIOException(resource + ": " + e.getMessage(), e);
        }
    }

    /** The config of a Hugging Face config.json file of any name; errors name the file and the field. */
    public static ModelConfig fromFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file + ": not found");
        }
        try {
            return ModelConfigJson.parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    private static List<String> list(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(SUFFIX))
                    .map(n -> n.substring(0, n.length() - SUFFIX.length())).sorted().toList();
        }
    }
}
