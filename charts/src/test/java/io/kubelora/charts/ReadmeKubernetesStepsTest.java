package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.charts.ReadmeCommands.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's "Run it on Kubernetes" steps work as written with the chart's defaults: the runs go where the
 * operator watches, the examples carry no other namespace, the Secrets they reference are created by the steps,
 * the names used later are the examples' own, and the sample `kubectl get lft` output has the CRD's columns.
 */
class ReadmeKubernetesStepsTest {

    private static final String SECTION = "Run it on Kubernetes";
    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<Command> commands = ReadmeCommands.of(SECTION);

    @Test
    void everyRunGoesWhereTheInstalledOperatorWatches() {
        List<Command> installs = commands.stream().filter(c -> c.is("helm", "install")).toList();
        assertFalse(installs.isEmpty(), "no helm install in the steps");
        List<Command> kubectl = commands.stream().filter(c -> c.is("kubectl")).toList();
        assertFalse(kubectl.isEmpty(), "no kubectl in the steps");
        for (Command install : installs) {
            String namespace = install.option("-n", "--namespace").orElseThrow(() -> new AssertionError(
                    "helm install without a namespace: " + install));
            assertTrue(install.words().contains("--create-namespace"), "the namespace must be created: " + install);
            Map<String, String> sets = new LinkedHashMap<>();
            for (String set : install.options("--set")) {
                sets.put(set.substring(0, set.indexOf('=')), set.substring(set.indexOf('=') + 1));
            }
            String watched = RenderedChart.render(namespace, sets).operatorEnv()
                    .get("QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES");
            for (Command c : kubectl) {
                String used = c.option("-n", "--namespace").orElseThrow(() -> new AssertionError(
                        "a step without -n runs in whatever namespace the user's context has: " + c));
                assertTrue(watched.equals("JOSDK_ALL_NAMESPACES") || Arrays.asList(watched.split(",")).contains(used),
                        "'" + c + "' works in " + used + ", but `" + install + "` watches " + watched);
            }
        }
    }

    @Test
    void appliedExamplesFindTheirSecretsInTheirNamespace() throws IOException {
        List<JsonNode> runs = appliedRuns();
        assertFalse(runs.isEmpty(), "the steps apply no LoraFineTune");
        for (JsonNode run : runs) {
            String namespace = run.path("namespace-of-step").asText();
            JsonNode declared = run.at("/metadata/namespace");
            assertTrue(declared.isMissingNode() || declared.asText().equals(namespace),
                    run.at("/metadata/name").asText() + " declares namespace " + declared + " but is applied in "
                            + namespace);
            JsonNode credentials = run.at("/spec/credentials");
            if (credentials.has("storageSecretName")) {
                assertSecret(namespace, credentials.path("storageSecretName").asText(), "AWS_ACCESS_KEY_ID");
            }
            if (credentials.has("huggingFaceToken")) {
                assertSecret(namespace, credentials.at("/huggingFaceToken/name").asText(),
                        credentials.at("/huggingFaceToken/key").asText());
            }
        }
    }

    @Test
    void laterStepsNameTheAppliedRunAndItsOutput() throws IOException {
        Set<String> names = appliedRuns().stream().map(r -> r.at("/metadata/name").asText())
                .collect(Collectors.toCollection(TreeSet::new));
        for (Command c : commands) {
            if (c.is("kubectl") && c.arguments().size() >= 3 && c.arguments().get(0).equals("describe")) {
                assertTrue(names.contains(c.arguments().get(2)), c + " names no applied run: " + names);
            }
        }
        Set<String> outputs = new TreeSet<>();
        for (JsonNode run : appliedRuns()) {
            outputs.add(run.at("/spec/output/uri").asText().replaceAll("/+$", "") + "/adapter");
        }
        List<Command> copies = commands.stream().filter(c -> c.is("aws", "s3", "cp")).toList();
        assertFalse(copies.isEmpty(), "no step fetches the adapter");
        for (Command copy : copies) {
            assertTrue(outputs.contains(copy.arguments().get(2)), copy + " fetches no run's adapter: " + outputs);
        }
        for (String row : sampleOutput().subList(1, sampleOutput().size())) {
            assertTrue(names.contains(row.split("\\s+")[0]), "sample output shows an unknown run: " + row);
        }
    }

    @Test
    void sampleOutputHasThePrinterColumnsAndRoundedLosses() throws IOException {
        List<String> columns = new ArrayList<>(List.of("NAME"));
        JsonNode crd = YAML.readTree(Path.of("..", "crds", "lorafinetunes.kubelora.io-v1.yml").toFile());
        for (JsonNode column : crd.at("/spec/versions/0/additionalPrinterColumns")) {
            if (column.path("priority").asInt(0) == 0) {
                columns.add(column.path("name").asText().toUpperCase());
            }
        }
        List<String> lines = sampleOutput();
        assertEquals(columns, List.of(lines.get(0).trim().split("\\s{2,}")), "header of the sample output");
        for (String row : lines.subList(1, lines.size())) {
            String[] cells = row.trim().split("\\s{2,}");
            assertEquals(columns.size(), cells.length, row);
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).contains("LOSS")) {
                    assertTrue(cells[i].matches("\\d+(\\.\\d{1,3})?"), "a loss reads like 1.482: " + cells[i]);
                }
            }
        }
    }

    /** The ``` block that follows the `kubectl get lft` step: header and rows. */
    private static List<String> sampleOutput() {
        List<String> plain = ReadmeCommands.blocks(ReadmeCommands.section(SECTION), "");
        String sample = plain.stream().filter(b -> b.startsWith("NAME ")).findFirst()
                .orElseThrow(() -> new AssertionError("no sample `kubectl get lft` output"));
        return Arrays.stream(sample.split("\n")).filter(l -> !l.isBlank()).toList();
    }

    /** The LoraFineTunes the steps apply, each with the namespace of its step under "namespace-of-step". */
    private List<JsonNode> appliedRuns() throws IOException {
        List<JsonNode> runs = new ArrayList<>();
        for (Command c : commands) {
            if (!c.is("kubectl") || !c.arguments().contains("apply")) {
                continue;
            }
            for (String file : c.options("-f", "--filename")) {
                JsonNode doc = YAML.readTree(Path.of("..").resolve(file).toFile());
                if ("LoraFineTune".equals(doc.path("kind").asText())) {
                    ((ObjectNode) doc)
                            .put("namespace-of-step", c.option("-n", "--namespace").orElse(""));
                    runs.add(doc);
                }
            }
        }
        return runs;
    }

    /** A step creates the Secret in the namespace with the key, from literals or an applied Secret file. */
    private void assertSecret(String namespace, String name, String key) throws IOException {
        for (Command c : commands) {
            if (!c.is("kubectl") || !namespace.equals(c.option("-n", "--namespace").orElse(""))) {
                continue;
            }
            List<String> args = c.arguments();
            if (args.size() >= 4 && args.subList(0, 3).equals(List.of("create", "secret", "generic"))
                    && args.get(3).equals(name)
                    && c.options("--from-literal").stream().anyMatch(l -> l.startsWith(key + "="))) {
                return;
            }
            for (String file : args.contains("apply") ? c.options("-f") : List.<String>of()) {
                JsonNode doc = YAML.readTree(Files.readString(Path.of("..").resolve(file)));
                if ("Secret".equals(doc.path("kind").asText()) && name.equals(doc.at("/metadata/name").asText())
                        && doc.path("stringData").has(key)) {
                    return;
                }
            }
        }
        throw new AssertionError("no step creates Secret " + name + " with key " + key + " in namespace "
                + namespace + " (steps: " + commands + ")");
    }
}
