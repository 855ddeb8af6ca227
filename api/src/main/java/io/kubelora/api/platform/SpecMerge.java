package io.kubelora.api.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's effective spec: its profile's template with the run's own fields on top, as written (before defaults,
 * so that a field the run leaves out takes the template's value). Objects merge field by field, spec.env by
 * variable name (the run's value wins), any other list or value of the run replaces the template's.
 */
public final class SpecMerge {

    private SpecMerge() {
    }

    /** A new tree: {@code template} overlaid with {@code run}; neither is changed. */
    public static ObjectNode merge(ObjectNode template, ObjectNode run) {
        ObjectNode merged = template.deepCopy();
        overlay(merged, run, "");
        return merged;
    }

    private static void overlay(ObjectNode into, ObjectNode from, String path) {
        from.fields().forEachRemaining(field -> {
            String key = field.getKey();
            JsonNode value = field.getValue();
            JsonNode existing = into.get(key);
            if (path.isEmpty() && key.equals("env") && existing instanceof ArrayNode base && value.isArray()) {
                into.set(key, mergeByName(base, (ArrayNode) value));
            } else if (existing instanceof ObjectNode target && value.isObject()) {
                overlay(target, (ObjectNode) value, path + "." + key);
            } else {
                into.set(key, value.deepCopy());
            }
        });
    }

    /** Variables of both lists, each once: the template's order, then the run's new ones; the run's value wins. */
    private static ArrayNode mergeByName(ArrayNode template, ArrayNode run) {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        for (JsonNode variable : template) {
            byName.put(variable.path("name").asText(), variable);
        }
        for (JsonNode variable : run) {
            byName.put(variable.path("name").asText(), variable);
        }
        ArrayNode merged = template.arrayNode();
        byName.values().forEach(v -> merged.add(v.deepCopy()));
        return merged;
    }

    /** The locked paths (spec.image, spec.resources.gpus) that the run's own spec sets, in the order given. */
    public static List<String> lockedPathsSet(ObjectNode run, List<String> locked) {
        List<String> set = new ArrayList<>();
        for (String path : locked) {
            JsonNode node = run;
            for (String step : path.substring(path.indexOf('.') + 1).split("\\.")) {
                node = node.path(step);
            }
            if (!node.isMissingNode() && !node.isNull()) {
                set.add(path);
            }
        }
        return set;
    }
}
