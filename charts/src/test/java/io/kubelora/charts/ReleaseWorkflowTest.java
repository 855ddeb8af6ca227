package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.charts.ReadmeCommands.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The release workflow is a valid GitHub Actions workflow with the jobs it claims, and the images and the chart it
 * publishes are the ones the chart's defaults, the Dockerfiles and the README name: same repositories, same tags
 * (appVersion, and appVersion-cpu for the CPU flavour), same build contexts and flavours.
 */
class ReleaseWorkflowTest {

    private static final Path WORKFLOW = Path.of("..", ".github", "workflows", "release.yaml");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*([^}]+?)\\s*}}");
    private static final Pattern PINNED = Pattern.compile("^[\\w.-]+/[\\w.-]+@[0-9a-f]{40}$");

    /** One image a build pushes: tag, Dockerfile, build context and flavour (empty for the operator). */
    record ImageBuild(String tag, String file, String context, String flavor) {
    }

    @Test
    void workflowIsValidWithTheJobsItClaims() throws IOException {
        JsonNode workflow = workflow();
        assertEquals("release", workflow.path("name").asText());
        assertTrue(workflow.at("/on/push/tags").isArray(), "runs on version tags: " + workflow.path("on"));
        JsonNode jobs = workflow.path("jobs");
        assertEquals(Set.of("version", "operator-image", "trainer-image", "chart"), fieldNames(jobs));
        assertEquals("write", workflow.at("/permissions/packages").asText(), "pushing to ghcr.io needs packages");
        for (Iterator<Map.Entry<String, JsonNode>> it = jobs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> job = it.next();
            assertFalse(job.getValue().path("runs-on").asText().isEmpty(), job.getKey() + " has no runs-on");
            assertTrue(job.getValue().path("steps").isArray() && !job.getValue().path("steps").isEmpty(),
                    job.getKey() + " has no steps");
            for (JsonNode need : needs(job.getValue())) {
                assertTrue(jobs.has(need.asText()), job.getKey() + " needs an unknown job " + need);
            }
            for (JsonNode step : job.getValue().path("steps")) {
                if (step.has("uses")) {
                    assertTrue(PINNED.matcher(step.path("uses").asText()).matches(),
                            "actions are pinned to a commit: " + step.path("uses").asText());
                } else {
                    assertTrue(step.has("run"), job.getKey() + ": a step with neither uses nor run: " + step);
                }
            }
        }
        String text = Files.readString(WORKFLOW);
        for (String line : text.split("\n")) {
            if (line.contains("uses: ")) {
                assertTrue(line.matches(".*@[0-9a-f]{40} # v\\d+\\.\\d+\\.\\d+$"), "name the pinned version: " + line);
            }
        }
        for (ImageBuild build : workflowBuilds()) {
            assertTrue(Files.isDirectory(Path.of("..", build.context())), build.toString());
            assertTrue(Files.isRegularFile(Path.of("..", build.file())), build.toString());
        }
    }

    @Test
    void workflowPushesWhatTheChartDefaultsName() throws IOException {
        String version = RenderedChart.appVersion();
        JsonNode values = YAML.readTree(RenderedChart.CHART.resolve("values.yaml").toFile());
        String operator = values.at("/operator/image/repository").asText();
        String trainer = values.at("/trainer/image/repository").asText();
        Map<String, ImageBuild> pushed = byTag(workflowBuilds());
        assertEquals(Set.of(operator + ":" + version, trainer + ":" + version, trainer + ":" + version + "-cpu"),
                pushed.keySet());
        assertEquals("cu128", pushed.get(trainer + ":" + version).flavor(), "the default trainer tag is the GPU one");
        assertEquals("cpu", pushed.get(trainer + ":" + version + "-cpu").flavor());
        assertTrue(Files.readString(RenderedChart.CHART.resolve("values.yaml")).contains("-cpu tag suffix"),
                "values.yaml tells users of CPU-only clusters the tag suffix");

        JsonNode chartJob = workflow().at("/jobs/chart");
        String script = chartJob.path("steps").findValuesAsText("run").toString();
        assertTrue(script.contains("helm package charts/kubelora") && script.contains("helm push"), script);
        assertTrue(needs(chartJob).toString().contains("operator-image")
                && needs(chartJob).toString().contains("trainer-image"), "the chart is published after its images");
    }

    @Test
    void dockerfilesAndReadmeBuildTheSameImages() throws IOException {
        Map<String, ImageBuild> pushed = byTag(workflowBuilds());
        // The build commands in the Dockerfiles' headers.
        List<ImageBuild> documented = new ArrayList<>();
        for (String dockerfile : List.of("operator/src/main/docker/Dockerfile.jvm", "trainer-image/Dockerfile")) {
            for (String line : Files.readAllLines(Path.of("..", dockerfile))) {
                if (line.startsWith("#   docker build")) {
                    documented.add(build(new Command(ReadmeCommands.words(line.substring(1), Map.of()))));
                }
            }
        }
        assertEquals(pushed, byTag(documented), "the Dockerfiles' build commands");

        // The README's: the same builds under the user's registry, pushed, and the chart pointed at them.
        List<Command> steps = ReadmeCommands.of("Run it on Kubernetes");
        List<ImageBuild> readme = steps.stream().filter(c -> c.is("docker", "build")).map(this::build).toList();
        assertFalse(readme.isEmpty(), "the README says how to build the images");
        String registry = commonRegistry(readme);
        Map<String, ImageBuild> expected = new TreeMap<>();
        pushed.forEach((tag, b) -> expected.put(registry + tag.substring(tag.lastIndexOf('/')),
                new ImageBuild(registry + tag.substring(tag.lastIndexOf('/')), b.file(), b.context(), b.flavor())));
        assertEquals(expected, byTag(readme), "the README's build commands");
        Set<String> pushedByReadme = new TreeSet<>();
        steps.stream().filter(c -> c.is("docker", "push")).forEach(c -> pushedByReadme.add(c.words().get(2)));
        assertEquals(expected.keySet(), pushedByReadme, "the README pushes every image it builds");
        Command install = steps.stream().filter(c -> c.is("helm", "install") && c.arguments().contains("charts/kubelora"))
                .findFirst().orElseThrow(() -> new AssertionError("the README installs no self-built chart"));
        Set<String> repositories = new TreeSet<>();
        expected.keySet().forEach(tag -> repositories.add(tag.substring(0, tag.lastIndexOf(':'))));
        Set<String> pointed = new TreeSet<>(install.options("--set").stream()
                .filter(s -> s.matches("(operator|trainer)\\.image\\.repository=.*"))
                .map(s -> s.substring(s.indexOf('=') + 1)).toList());
        assertEquals(repositories, pointed, "the chart is pointed at the built images: " + install);
    }

    @Test
    void readmeInstallsTheReleasedChart() throws IOException {
        String chartRepository = workflow().at("/env/CHART_REPOSITORY").asText();
        JsonNode chart = YAML.readTree(RenderedChart.CHART.resolve("Chart.yaml").toFile());
        Command install = ReadmeCommands.of("Run it on Kubernetes").stream()
                .filter(c -> c.is("helm", "install") && c.arguments().stream().anyMatch(a -> a.startsWith("oci://")))
                .findFirst().orElseThrow(() -> new AssertionError("the README installs no released chart"));
        assertTrue(install.arguments().contains(chartRepository + "/" + chart.path("name").asText()), install.toString());
        assertEquals(chart.path("version").asText(), install.option("--version").orElse(""), install.toString());
        String section = ReadmeCommands.section("Run it on Kubernetes");
        for (String tag : byTag(workflowBuilds()).keySet()) {
            assertTrue(section.contains("`" + tag + "`"), "the README names the published image " + tag);
        }
    }

    /** The images the workflow's jobs build and push, with their expressions evaluated for the chart's version. */
    private static List<ImageBuild> workflowBuilds() throws IOException {
        JsonNode workflow = workflow();
        Map<String, String> context = new HashMap<>();
        workflow.path("env").fields().forEachRemaining(e -> context.put("env." + e.getKey(), e.getValue().asText()));
        context.put("needs.version.outputs.version", RenderedChart.appVersion());
        List<ImageBuild> builds = new ArrayList<>();
        for (Iterator<JsonNode> jobs = workflow.path("jobs").elements(); jobs.hasNext(); ) {
            JsonNode job = jobs.next();
            List<Map<String, String>> matrix = new ArrayList<>();
            for (JsonNode include : job.at("/strategy/matrix/include")) {
                Map<String, String> row = new HashMap<>(context);
                include.fields().forEachRemaining(e -> row.put("matrix." + e.getKey(), e.getValue().asText()));
                matrix.add(row);
            }
            if (matrix.isEmpty()) {
                matrix.add(context);
            }
            for (JsonNode step : job.path("steps")) {
                if (!step.path("uses").asText().startsWith("docker/build-push-action@")) {
                    continue;
                }
                JsonNode with = step.path("with");
                assertTrue(with.path("push").asBoolean(), "the release pushes: " + step);
                assertTrue(with.path("cache-from").asText().startsWith("type=gha")
                        && with.path("cache-to").asText().startsWith("type=gha"), "builds are cached: " + step);
                for (Map<String, String> row : matrix) {
                    String args = evaluate(with.path("build-args").asText(), row);
                    String flavor = args.startsWith("FLAVOR=") ? args.substring("FLAVOR=".length()) : "";
                    builds.add(new ImageBuild(evaluate(with.path("tags").asText(), row),
                            with.path("file").asText(), with.path("context").asText(), flavor));
                }
            }
        }
        return builds;
    }

    private ImageBuild build(Command docker) {
        String file = docker.option("-f", "--file").orElse("");
        String tag = docker.option("-t", "--tag").orElse("");
        String flavor = docker.options("--build-arg").stream().filter(a -> a.startsWith("FLAVOR="))
                .map(a -> a.substring("FLAVOR=".length())).findFirst().orElse("");
        List<String> args = docker.arguments();
        return new ImageBuild(tag, file, args.get(args.size() - 1), flavor);
    }

    private static String commonRegistry(List<ImageBuild> builds) {
        Set<String> registries = new TreeSet<>();
        builds.forEach(b -> registries.add(b.tag().substring(0, b.tag().lastIndexOf('/'))));
        assertEquals(1, registries.size(), "one registry for all images: " + registries);
        return registries.iterator().next();
    }

    private static Map<String, ImageBuild> byTag(List<ImageBuild> builds) {
        Map<String, ImageBuild> map = new TreeMap<>();
        builds.forEach(b -> assertEquals(null, map.put(b.tag(), b), "built twice: " + b.tag()));
        return map;
    }

    private static String evaluate(String text, Map<String, String> context) {
        Matcher m = EXPRESSION.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = context.get(m.group(1));
            assertTrue(value != null, "unknown expression " + m.group() + " in " + text);
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static JsonNode needs(JsonNode job) {
        JsonNode needs = job.path("needs");
        return needs.isTextual() ? YAML.createArrayNode().add(needs.asText()) : needs;
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode workflow() throws IOException {
        return YAML.readTree(WORKFLOW.toFile());
    }
}
