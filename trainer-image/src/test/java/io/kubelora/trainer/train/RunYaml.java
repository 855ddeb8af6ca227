package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A LoraFineTune file for a test run, spec fields set by dotted path: {@code set("training.maxSteps", 4)}. */
public final class RunYaml {

    private static final YAMLMapper YAML = new YAMLMapper();

    private final ObjectNode root = JsonNodeFactory.instance.objectNode();

    private RunYaml(String name) {
        root.put("apiVersion", "kubelora.io/v1alpha1");
        root.put("kind", "LoraFineTune");
        root.putObject("metadata").put("name", name);
        root.putObject("spec");
    }

    public static RunYaml named(String name) {
        return new RunYaml(name);
    }

    /** Sets {@code spec.<path>} to a string, number or boolean (a Path is written as its text). */
    public RunYaml set(String path, Object value) {
        ObjectNode node = (ObjectNode) root.get("spec");
        String[] keys = path.split("\\.");
        for (int i = 0; i < keys.length - 1; i++) {
            node = node.has(keys[i]) ? (ObjectNode) node.get(keys[i]) : node.putObject(keys[i]);
        }
        String key = keys[keys.length - 1];
        if (value instanceof Integer n) {
            node.put(key, n);
        } else if (value instanceof Double d) {
            node.put(key, d);
        } else if (value instanceof Boolean b) {
            node.put(key, b);
        } else {
            node.put(key, value.toString());
        }
        return this;
    }

    /** The LoraFineTune as YAML text. */
    public String text() throws IOException {
        return YAML.writeValueAsString(root);
    }

    /** Writes the file and returns it. */
    public Path write(Path file) throws IOException {
        return Files.writeString(file, text());
    }
}
