package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every CustomResourceDefinition the project ships: each YAML document of kind CustomResourceDefinition in
 * crds/ and in the crds/ folder of every chart, found by looking, so that a CRD added later is checked too.
 */
final class ShippedCrds {

    /** The repository root, seen from the api module (the working directory of its tests). */
    private static final Path ROOT = Path.of("..");

    /** One served version of one shipped CRD file. */
    record Version(Path file, String crdName, String name, JsonNode openApiSchema) {
        @Override
        public String toString() {
            return ROOT.relativize(file).normalize() + " " + name;
        }
    }

    private ShippedCrds() {
    }

    static List<Path> files() {
        List<Path> folders = new ArrayList<>(List.of(ROOT.resolve("crds")));
        try (Stream<Path> charts = Files.list(ROOT.resolve("charts"))) {
            charts.map(chart -> chart.resolve("crds")).filter(Files::isDirectory).forEach(folders::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Path> files = new ArrayList<>();
        for (Path folder : folders) {
            try (Stream<Path> list = Files.list(folder)) {
                list.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).sorted()
                        .filter(f -> !documents(f).isEmpty()).forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    static List<Version> versions() {
        List<Version> versions = new ArrayList<>();
        for (Path file : files()) {
            for (JsonNode crd : documents(file)) {
                for (JsonNode v : crd.path("spec").path("versions")) {
                    versions.add(new Version(file, crd.path("metadata").path("name").asText(), v.path("name").asText(),
                            v.path("schema").path("openAPIV3Schema")));
                }
            }
        }
        return versions;
    }

    /** The CustomResourceDefinition documents of a YAML file. */
    static List<JsonNode> documents(Path file) {
        List<JsonNode> crds = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if ("CustomResourceDefinition".equals(doc.path("kind").asText())) {
                    crds.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return crds;
    }
}
