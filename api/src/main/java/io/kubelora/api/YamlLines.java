package io.kubelora.api;

import java.io.StringReader;
import java.util.List;
import java.util.OptionalInt;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Finds the line of a field path (spec.lora.rank, spec.lora.targetModules[1]) in a YAML text. */
final class YamlLines {

    private YamlLines() {
    }

    static OptionalInt lineOf(String yaml, List<Object> path) {
        Node node;
        try {
            node = new Yaml(new LoaderOptions()).compose(new StringReader(yaml));
        } catch (RuntimeException e) {
            return OptionalInt.empty();
        }
        Node current = node;
        Node marker = node;
        for (Object step : path) {
            if (current instanceof MappingNode map && step instanceof String key) {
                NodeTuple hit = null;
                for (NodeTuple t : map.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                        hit = t;
                    }
                }
                if (hit == null) {
                    break;
                }
                marker = hit.getKeyNode();
                current = hit.getValueNode();
            } else if (current instanceof SequenceNode seq && step instanceof Integer i && i < seq.getValue().size()) {
                current = seq.getValue().get(i);
                marker = current;
            } else {
                break;
            }
        }
        return marker == null ? OptionalInt.empty() : OptionalInt.of(marker.getStartMark().getLine() + 1);
    }
}
