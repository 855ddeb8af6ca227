package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files the chart ships as they are: the CRD (a copy of the generated one) and the Grafana dashboard. */
class ChartFilesTest {

    private static final String CRD = "lorafinetunes.kubelora.io-v1.yml";

    /** The chart installs every CRD of crds/ (LoraFineTune, FineTuneProfile, FineTunePolicy), as generated. */
    @Test
    void chartCrdsAreTheGeneratedCrds() throws IOException {
        List<String> generated = yamlFiles(Path.of("..", "crds"));
        assertEquals(generated, yamlFiles(RenderedChart.CHART.resolve("crds")),
                "charts/kubelora/crds/ must hold the files of crds/: cp crds/*.yml charts/kubelora/crds/");
        for (String crd : generated) {
            assertEquals(Files.readString(Path.of("..", "crds", crd)),
                    Files.readString(RenderedChart.CHART.resolve("crds").resolve(crd)),
                    "charts/kubelora/crds/" + crd + " differs from crds/" + crd + ": copy it again (cp crds/" + crd
                            + " charts/kubelora/crds/)");
        }
        assertTrue(generated.containsAll(List.of(CRD, "finetuneprofiles.kubelora.io-v1.yml",
                "finetunepolicies.kubelora.io-v1.yml")), generated.toString());
    }

    private static List<String> yamlFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
        }
    }

    /**
     * An API server compiles the CRD's rules when the CRD is created and refuses one that calls a function it
     * does not offer: the Kubernetes quantity library reaches CRD rules in 1.29, so the chart refuses older ones.
     */
    @Test
    void chartRefusesClustersWhoseApiServerCannotCompileTheCrdRules(@TempDir Path work) throws IOException {
        assertTrue(Files.readString(Path.of("..", "crds", CRD)).contains("isQuantity("),
                "the CRD no longer uses the quantity library: the chart's kubeVersion may go down again");
        Exception refused = assertThrows(Exception.class, () -> RenderedChart.render("", work, "1.28.15"));
        assertTrue(refused.getMessage().contains("kubeVersion"), refused.getMessage());
        assertTrue(!RenderedChart.render("", work, "1.29.0").kinds().isEmpty());
    }

    @Test
    void dashboardShowsEveryTrainerMetricPerRun() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(
                RenderedChart.CHART.resolve("files").resolve("kubelora-training-dashboard.json").toFile());
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
        String all = String.join("\n", queries);
        for (String metric : List.of("kubelora_step", "kubelora_total_steps", "kubelora_loss", "kubelora_eval_loss",
                "kubelora_tokens_per_second", "kubelora_eta_seconds")) {
            assertTrue(all.matches("(?s).*\\b" + metric + "\\{.*"), "no panel queries " + metric);
        }
        assertTrue(queries.stream().allMatch(q -> q.contains("run=~\"$run\"")), "a query ignores the run variable");
        List<String> variables = new ArrayList<>();
        dashboard.at("/templating/list").forEach(v -> variables.add(v.path("name").asText()));
        assertEquals(List.of("datasource", "namespace", "run"), variables);
        assertTrue(dashboard.path("uid").asText().matches("[a-z0-9-]{1,40}"));
    }
}
