package io.kubelora.trainer.model;

import io.kubelora.api.LoraSpec;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Test helper: the real model shapes shipped as resources (shapes/NAME.json, Hugging Face config.json files). */
public final class ModelShapes {

    private ModelShapes() {
    }

    /** Every shape name, sorted. */
    public static List<String> names() {
        try (Stream<Path> files = Files.list(Path.of(ModelShapes.class.getResource("/shapes").toURI()))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shape read as a model folder's config.json would be (copied into {@code scratch}). */
    public static ModelConfig read(String name, Path scratch) {
        try (InputStream in = ModelShapes.class.getResourceAsStream("/shapes/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no shape '" + name + "'");
            }
            Path dir = Files.createDirectories(scratch.resolve(name));
            Files.copy(in, dir.resolve(ModelConfig.FILE_NAME));
            return ModelConfig.read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All parameters of the model: every tensor of the checkpoint (a tied lm_head once). */
    public static long parameters(ModelConfig config) {
        return ModelInitializer.tensorShapes(config).values().stream().mapToLong(TensorInfo::elementCount).sum();
    }

    /** LoRA weights of rank r on the given decoder linears: r (in + out) per layer and module. */
    public static long loraParameters(ModelConfig config, int rank, List<String> modules) {
        long perLayer = 0;
        for (String module : modules) {
            long[] shape = config.linearShape(module); // [out, in]
            perLayer += (long) rank * (shape[0] + shape[1]);
        }
        return perLayer * config.numHiddenLayers();
    }

    /** LoRA weights of rank r on every decoder linear (all-linear). */
    public static long loraParametersAllLinear(ModelConfig config, int rank) {
        return loraParameters(config, rank, LoraSpec.LINEAR_MODULES);
    }
}
