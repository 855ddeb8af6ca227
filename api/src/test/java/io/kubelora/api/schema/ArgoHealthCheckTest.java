package io.kubelora.api.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/** Runs the Argo CD health check of examples/gitops on LoraFineTune objects, as Argo CD would (obj = the resource). */
class ArgoHealthCheckTest {

    private static final Path GITOPS = Path.of("..", "examples", "gitops");
    private static final Path SCRIPT = GITOPS.resolve("lorafinetune-health.lua");
    private static final YAMLMapper YAML = new YAMLMapper();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "Pending, Progressing",
            "Running, Progressing",
            "Merging, Progressing",
            "Succeeded, Healthy",
            "Failed, Degraded",
            "Suspended, Suspended",
            "Exploded, Unknown"})
    void mapsEveryPhase(String phase, String health) throws IOException {
        LuaTable result = health("""
                metadata: {name: run, generation: 2}
                status:
                  phase: %s
                  observedGeneration: 2
                  message: the message
                  progress: {steps: 10/100, loss: 1.5}
                """.formatted(phase));
        assertEquals(health, result.get("status").tojstring());
        assertTrue(result.get("message").tojstring().contains(phase.equals("Exploded") ? "Exploded" : "10/100"),
                result.get("message").tojstring());
    }

    @Test
    void noStatusYetIsProgressing() throws IOException {
        assertEquals("Progressing", health("metadata: {name: run}").get("status").tojstring());
    }

    @Test
    void statusOfAnOlderGenerationIsProgressing() throws IOException {
        LuaTable result = health("""
                metadata: {name: run, generation: 3}
                status: {phase: Failed, observedGeneration: 2}
                """);
        assertEquals("Progressing", result.get("status").tojstring());
    }

    @Test
    void argoConfigMapPatchEmbedsTheSameScript() throws IOException {
        JsonNode patch = YAML.readTree(GITOPS.resolve("argocd-cm-health-patch.yaml").toFile());
        String embedded = patch.path("data").path("resource.customizations.health.kubelora.io_LoraFineTune").asText();
        assertEquals(Files.readString(SCRIPT), embedded);
    }

    private static LuaTable health(String objectYaml) throws IOException {
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", toLua(YAML.readTree(objectYaml)));
        LuaValue result = globals.load(Files.readString(SCRIPT), SCRIPT.toString()).call();
        return result.checktable();
    }

    private static LuaValue toLua(JsonNode node) {
        if (node.isObject()) {
            LuaTable table = new LuaTable();
            node.fields().forEachRemaining(f -> table.set(f.getKey(), toLua(f.getValue())));
            return table;
        }
        if (node.isArray()) {
            LuaTable table = new LuaTable();
            for (int i = 0; i < node.size(); i++) {
                table.set(i + 1, toLua(node.get(i)));
            }
            return table;
        }
        if (node.isIntegralNumber()) {
            return LuaValue.valueOf(node.longValue());
        }
        if (node.isNumber()) {
            return LuaValue.valueOf(node.doubleValue());
        }
        if (node.isBoolean()) {
            return LuaValue.valueOf(node.booleanValue());
        }
        return node.isNull() ? LuaValue.NIL : LuaValue.valueOf(node.asText());
    }
}
