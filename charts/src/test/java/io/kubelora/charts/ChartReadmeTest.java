package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chart's README names every value of values.yaml and every setting the operator gets from the chart. */
class ChartReadmeTest {

    private static final Path README = RenderedChart.CHART.resolve("README.md");

    @Test
    void theValuesTableNamesEveryValue() throws IOException {
        String readme = ReadmeCommands.read(README);
        String table = readme.substring(readme.indexOf("\n## Values\n"), readme.indexOf("\n## Images\n"));
        JsonNode values = new YAMLMapper().readTree(RenderedChart.CHART.resolve("values.yaml").toFile());
        List<String> missing = new ArrayList<>();
        values.fieldNames().forEachRemaining(name -> {
            // `name`, `name.child` or `name.*` in a row's first cell
            if (!Pattern.compile("(?m)^\\| [^|]*`" + Pattern.quote(name) + "[`.]").matcher(table).find()) {
                missing.add(name);
            }
        });
        assertEquals(List.of(), missing, "values.yaml's values missing from the Values table of " + README);
    }

    @Test
    void everyEnvironmentVariableOfTheOperatorIsNamed(@TempDir Path work) {
        String readme = ReadmeCommands.read(README);
        List<String> missing = RenderedChart.render("", work).operatorEnv().keySet().stream()
                .filter(name -> !readme.contains("`" + name + "`")).toList();
        assertEquals(List.of(), missing, "operator settings not named in " + README);
    }
}
