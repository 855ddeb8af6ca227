package io.kubelora.operator.progress;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads the unlabelled samples of a Prometheus text exposition (version 0.0.4), which is all the trainer's
 * progress gauges are. Labelled series, comments and malformed lines are skipped.
 */
public final class PrometheusText {

    private PrometheusText() {
    }

    /** Sample name to value, e.g. kubelora_step to 120.0. */
    public static Map<String, Double> unlabelledSamples(String exposition) {
        Map<String, Double> samples = new HashMap<>();
        for (String raw : exposition.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space <= 0) {
                continue;
            }
            String name = line.substring(0, space);
            if (name.indexOf('{') >= 0) {
                // Labelled series; `name{} value` is the same series without labels.
                if (!name.endsWith("{}")) {
                    continue;
                }
                name = name.substring(0, name.length() - 2);
            }
            String[] rest = line.substring(space + 1).strip().split("\\s+");
            Double value = parse(rest[0]);
            if (value != null) {
                samples.put(name, value);
            }
        }
        return samples;
    }

    private static Double parse(String token) {
        switch (token) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(token);
                } catch (NumberFormatException e) {
                    return null;
                }
        }
    }
}
