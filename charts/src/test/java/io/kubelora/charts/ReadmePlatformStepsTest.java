package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's platform walkthrough works as written: the namespace exists before the chart watches it, the chart
 * so installed enforces the policies and extends the standard roles, profiles are applied cluster-wide and
 * policies and runs in the watched namespace, the runs name applied profiles that the namespace's policy allows,
 * and every resource the steps name is a resource the CRDs define.
 */
class ReadmePlatformStepsTest {

    private static final String SECTION = "Platform teams: profiles and policies";
    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<Command> commands = ReadmeCommands.of(SECTION);

    @Test
    void theChartAsInstalledWatchesTheTeamNamespaceAndEnforcesThePolicies() {
        Command install = commands.stream().filter(c -> c.is("helm", "upgrade", "--install") || c.is("helm", "install"))
                .findFirst().orElseThrow(() -> new AssertionError("the walkthrough installs no chart"));
        Map<String, String> sets = new LinkedHashMap<>();
        for (String set : install.options("--set")) {
            sets.put(set.substring(0, set.indexOf('=')), set.substring(set.indexOf('=') + 1));
        }
        RenderedChart chart = RenderedChart.render(install.option("-n", "--namespace").orElseThrow(), sets);
        assertEquals(1, chart.ofKind("ValidatingAdmissionPolicyBinding").size(), install.toString());
        assertTrue(chart.kinds().containsAll(List.of("ClusterRole/kubelora-view", "ClusterRole/kubelora-edit")),
                chart.kinds().toString());
        List<String> watched = Arrays.asList(chart.operatorEnv()
                .get("QUARKUS_OPERATOR_SDK_CONTROLLERS_LORAFINETUNE_NAMESPACES").split(","));
        List<String> created = new ArrayList<>();
        for (Command c : commands.subList(0, commands.indexOf(install))) {
            if (c.is("kubectl", "create", "namespace")) {
                created.add(c.words().get(3));
            }
        }
        assertTrue(created.containsAll(watched), "the chart's Roles need the namespaces " + watched
                + " to exist before it is installed; created: " + created);
        for (Command c : commands) {
            c.option("-n", "--namespace").filter(n -> c.is("kubectl"))
                    .ifPresent(n -> assertTrue(watched.contains(n), c + " works where the operator does not watch"));
        }
    }

    @Test
    void profilesAreClusterWideAndPoliciesAndRunsLiveInTheTeamNamespace() throws IOException {
        Set<String> profiles = new TreeSet<>();
        Map<String, List<JsonNode>> policies = new LinkedHashMap<>();
        List<JsonNode> runs = new ArrayList<>();
        for (Command c : commands) {
            if (!c.is("kubectl") || !c.arguments().contains("apply")) {
                continue;
            }
            String namespace = c.option("-n", "--namespace").orElse(null);
            for (String file : c.options("-f", "--filename")) {
                Path path = Path.of("..").resolve(file);
                if (!Files.isRegularFile(path)) {
                    continue; // a file of the user's, shown as an example (steal.yaml)
                }
                for (JsonNode document : documents(path)) {
                    String kind = document.path("kind").asText();
                    assertEquals(kind.equals("FineTuneProfile"), namespace == null,
                            c + ": a FineTuneProfile is cluster-scoped, everything else goes to the team's namespace");
                    switch (kind) {
                        case "FineTuneProfile" -> profiles.add(document.at("/metadata/name").asText());
                        case "FineTunePolicy" -> policies.computeIfAbsent(namespace, n -> new ArrayList<>())
                                .add(document);
                        case "LoraFineTune" -> runs.add(((ObjectNode) document)
                                .put("namespace-of-step", namespace));
                        default -> throw new AssertionError(c + " applies a " + kind);
                    }
                }
            }
        }
        assertFalse(runs.isEmpty(), "the walkthrough applies no run");
        for (JsonNode run : runs) {
            String profile = run.at("/spec/profile").asText();
            assertTrue(profiles.contains(profile), "the run's profile " + profile + " is applied: " + profiles);
            List<JsonNode> ofNamespace = policies.getOrDefault(run.path("namespace-of-step").asText(), List.of());
            assertFalse(ofNamespace.isEmpty(), "no policy is applied where the run is");
            for (JsonNode policy : ofNamespace) {
                List<String> allowed = new ArrayList<>();
                policy.at("/spec/allowedProfiles").forEach(p -> allowed.add(p.asText()));
                assertTrue(allowed.isEmpty() || allowed.contains(profile), profile + " is allowed: " + allowed);
            }
        }
        Set<String> bound = new TreeSet<>();
        commands.stream().filter(c -> c.is("kubectl")).forEach(c -> bound.addAll(c.options("--clusterrole")));
        assertEquals(Set.of("edit"), bound, "users get the standard role the chart extends");
    }

    @Test
    void everyResourceTheStepsNameIsOneOfTheCrds() throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> crds = Files.list(Path.of("..", "crds"))) {
            for (Path crd : crds.toList()) {
                JsonNode spec = YAML.readTree(crd.toFile()).path("spec").path("names");
                names.add(spec.path("plural").asText());
                names.add(spec.path("singular").asText());
                spec.path("shortNames").forEach(n -> names.add(n.asText()));
            }
        }
        List<Command> gets = commands.stream().filter(c -> c.is("kubectl") && c.arguments().contains("get")).toList();
        assertFalse(gets.isEmpty(), "the walkthrough shows no kubectl get");
        for (Command get : gets) {
            List<String> args = get.arguments();
            String resource = args.get(args.indexOf("get") + 1);
            assertTrue(names.contains(resource), get + ": no CRD names " + resource + " (" + names + ")");
        }
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && document.isObject() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }
}
