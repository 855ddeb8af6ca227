package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator image runs the Quarkus fast-jar as the user, on the port, that the chart's Deployment expects. */
class OperatorImageTest {

    private static final Dockerfile IMAGE = Dockerfile.read(Path.of("..", "operator", "src", "main", "docker",
            "Dockerfile.jvm"));

    @TempDir
    Path work;

    @Test
    void imageMatchesTheDeployment() {
        Dockerfile.Stage image = IMAGE.last();
        assertEquals("eclipse-temurin:17-jre", image.from());
        JsonNode pod = RenderedChart.render("", work).one("Deployment").at("/spec/template/spec");
        String user = image.arguments("USER").get(0);
        assertEquals(pod.at("/securityContext/runAsUser").asText() + ":" + pod.at("/securityContext/runAsGroup")
                .asText(), user);
        assertEquals(List.of(pod.at("/containers/0/ports/0/containerPort").asText()), image.arguments("EXPOSE"));
        assertTrue(image.env().get("JAVA_APP_JAR").endsWith("/quarkus-run.jar"));
        List<String> copies = image.arguments("COPY");
        for (String layer : List.of("lib/", "*.jar", "app/", "quarkus/")) {
            assertTrue(copies.stream().anyMatch(c -> c.contains("target/quarkus-app/" + layer)),
                    "no layer " + layer + " in " + copies);
        }
    }

    @Test
    void watchedNamespacesVariableNamesTheOperatorsController() {
        Matcher controller = Pattern.compile("@ControllerConfiguration\\(name = \"([a-z0-9-]+)\"")
                .matcher(SourceContract.mainSources("operator"));
        assertTrue(controller.find(), "the operator's reconciler names no controller");
        String variable = "QUARKUS_OPERATOR_SDK_CONTROLLERS_" + controller.group(1).toUpperCase().replace('-', '_')
                + "_NAMESPACES";
        assertTrue(RenderedChart.render("", work).operatorEnv().containsKey(variable),
                "the chart does not set " + variable);
    }

    @Test
    void chartSetsOnlyVariablesTheOperatorReads() {
        String operator = SourceContract.mainSources("operator");
        for (String name : RenderedChart.render("", work).operatorEnv().keySet()) {
            if (name.startsWith("KUBELORA_") || name.equals("POD_NAMESPACE")) {
                assertTrue(operator.contains(name), "the chart sets " + name + " but the operator never reads it");
            }
        }
    }
}
