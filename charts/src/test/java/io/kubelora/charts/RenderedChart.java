package io.kubelora.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The objects `helm template` renders for the chart with a given values file. */
final class RenderedChart {

    static final Path CHART = Path.of("kubelora");
    static final String RELEASE = "kubelora";
    static final String NAMESPACE = "kubelora-system";
    /** A release the chart supports (it needs 1.29+ for the CRD's CEL rules). */
    static final String KUBE_VERSION = "1.31.0";

    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<JsonNode> objects;

    private RenderedChart(List<JsonNode> objects) {
        this.objects = objects;
    }

    /** Renders with the chart's defaults overridden by {@code valuesYaml} (may be empty). */
    static RenderedChart render(String valuesYaml, Path workDir) {
        return render(valuesYaml, workDir, KUBE_VERSION);
    }

    /** Renders for a cluster of the given Kubernetes version; Helm refuses one the chart's kubeVersion excludes. */
    static RenderedChart render(String valuesYaml, Path workDir, String kubeVersion) {
        try {
            Path values = Files.writeString(Files.createTempFile(workDir, "values", ".yaml"), valuesYaml);
            String manifest = new Helm(CHART).template()
                    .withName(RELEASE)
                    .withNamespace(NAMESPACE)
                    .withKubeVersion(kubeVersion)
                    .withValuesFile(values)
                    .call();
            return new RenderedChart(parse(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders as {@code helm install --namespace namespace --set key=value ...} would. */
    static RenderedChart render(String namespace, Map<String, String> sets) {
        TemplateCommand template = new Helm(CHART).template().withName(RELEASE).withNamespace(namespace)
                .withKubeVersion(KUBE_VERSION);
        sets.forEach((key, value) -> {
            if (value.startsWith("{") && value.endsWith("}")) {
                // helm --set reads {a,b} as a list; helm-java passes the text as it is, so the list goes item by item
                String[] items = value.substring(1, value.length() - 1).split(",");
                for (int i = 0; i < items.length; i++) {
                    template.set(key + "[" + i + "]", items[i]);
                }
            } else {
                template.set(key, value);
            }
        });
        try {
            return new RenderedChart(parse(template.call()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> parse(String manifest) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(manifest)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && doc.isObject() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The chart's appVersion, the default tag of both images. */
    static String appVersion() {
        try {
            return YAML.readTree(CHART.resolve("Chart.yaml").toFile()).path("appVersion").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<JsonNode> all() {
        return objects;
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    /** The only object of a kind; fails when there are none or several. */
    JsonNode one(String kind) {
        List<JsonNode> found = ofKind(kind);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + ", rendered " + found.size() + ": " + kinds());
        }
        return found.get(0);
    }

    /** The object of a kind and name; fails when there is none. */
    JsonNode named(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(o.at("/metadata/name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + ": " + kinds()));
    }

    /**
     * Roles or RoleBindings (or their Cluster kinds) for the runs, named after the release: not the leader
     * election's, the profile reader's or the roles aggregated into view and edit.
     */
    List<JsonNode> runRbac(String kind) {
        return ofKind(kind).stream().filter(o -> o.at("/metadata/name").asText().equals(RELEASE)).toList();
    }

    List<String> kinds() {
        return objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText())
                .toList();
    }

    /** The operator container's env as name -> value. */
    Map<String, String> operatorEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : operatorContainer().path("env")) {
            env.put(e.path("name").asText(), e.path("value").asText());
        }
        return env;
    }

    JsonNode operatorContainer() {
        JsonNode containers = one("Deployment").at("/spec/template/spec/containers");
        if (containers.size() != 1) {
            throw new AssertionError("expected one operator container: " + containers);
        }
        return containers.get(0);
    }
}
