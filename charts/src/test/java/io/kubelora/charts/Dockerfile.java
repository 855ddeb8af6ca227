package io.kubelora.charts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read into build stages of instructions, enough to check what an image sets: continuation lines
 * joined, comments dropped, ENV and ARG parsed into key/value pairs (quotes removed).
 */
final class Dockerfile {

    /** One instruction, e.g. {@code ENV} with its arguments as written. */
    record Instruction(String keyword, String arguments) {
    }

    /** A build stage: {@code FROM image AS name} and its instructions. */
    record Stage(String from, String name, List<Instruction> instructions) {

        /** ENV pairs set in this stage, in order. */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Instruction i : instructions) {
                if (i.keyword().equals("ENV")) {
                    env.putAll(pairs(i.arguments()));
                }
            }
            return env;
        }

        List<String> arguments(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments)
                    .toList();
        }
    }

    private static final Pattern PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S*)");

    private final Map<String, String> globalArgs;
    private final List<Stage> stages;

    private Dockerfile(Map<String, String> globalArgs, List<Stage> stages) {
        this.globalArgs = globalArgs;
        this.stages = stages;
    }

    static Dockerfile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        List<String> logical = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                current.append(line);
                logical.add(current.toString().strip());
                current.setLength(0);
            }
        }
        Map<String, String> globalArgs = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        for (String line : logical) {
            String[] parts = line.split("\\s+", 2);
            String keyword = parts[0].toUpperCase();
            String arguments = parts.length > 1 ? parts[1] : "";
            if (keyword.equals("FROM")) {
                String[] from = arguments.split("\\s+");
                String name = from.length == 3 && from[1].equalsIgnoreCase("AS") ? from[2] : null;
                stages.add(new Stage(from[0], name, new ArrayList<>()));
            } else if (stages.isEmpty()) {
                if (!keyword.equals("ARG")) {
                    throw new IllegalArgumentException(file + ": only ARG may come before the first FROM: " + line);
                }
                globalArgs.putAll(pairs(arguments));
            } else {
                stages.get(stages.size() - 1).instructions().add(new Instruction(keyword, arguments));
            }
        }
        return new Dockerfile(globalArgs, stages);
    }

    /** ARGs declared before the first FROM, with their defaults. */
    Map<String, String> globalArgs() {
        return globalArgs;
    }

    List<Stage> stages() {
        return stages;
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no stage " + name + " in " + stages));
    }

    /** The stage the image is built from. */
    Stage last() {
        return stages.get(stages.size() - 1);
    }

    /** KEY=value pairs of an ENV or ARG line; a bare ARG name maps to "". */
    static Map<String, String> pairs(String arguments) {
        Map<String, String> pairs = new LinkedHashMap<>();
        Matcher m = PAIR.matcher(arguments);
        int matched = 0;
        while (m.find()) {
            String value = m.group(2);
            if (value.startsWith("\"")) {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"");
            }
            pairs.put(m.group(1), value);
            matched++;
        }
        if (matched == 0 && arguments.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            pairs.put(arguments, "");
        }
        return pairs;
    }
}
