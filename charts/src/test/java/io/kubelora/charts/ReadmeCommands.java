package io.kubelora.charts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell commands of a README section, read as a shell reads them: ```bash blocks, continuation lines joined,
 * comments dropped, words split with their quotes removed, and variables assigned earlier in the same block
 * ({@code VERSION=0.1.0}) expanded. Variables set nowhere in the block (a user's credentials) stay as written.
 */
final class ReadmeCommands {

    static final Path README = Path.of("..", "README.md");

    /** One command line as words. */
    record Command(List<String> words) {

        /** True when the command starts with these words, e.g. {@code is("kubectl")}. */
        boolean is(String... prefix) {
            return words.size() >= prefix.length && words.subList(0, prefix.length).equals(List.of(prefix));
        }

        /** Words that are not options or option values, after the program name. */
        List<String> arguments() {
            List<String> args = new ArrayList<>();
            for (int i = 1; i < words.size(); i++) {
                String w = words.get(i);
                if (w.startsWith("-")) {
                    if (!w.contains("=") && TAKES_VALUE.contains(w)) {
                        i++;
                    }
                } else {
                    args.add(w);
                }
            }
            return args;
        }

        /** Every value of an option, written {@code --name value} or {@code --name=value}. */
        List<String> options(String... names) {
            List<String> values = new ArrayList<>();
            for (int i = 1; i < words.size(); i++) {
                for (String name : names) {
                    if (words.get(i).equals(name) && i + 1 < words.size()) {
                        values.add(words.get(i + 1));
                    } else if (words.get(i).startsWith(name + "=")) {
                        values.add(words.get(i).substring(name.length() + 1));
                    }
                }
            }
            return values;
        }

        Optional<String> option(String... names) {
            List<String> values = options(names);
            return values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
        }

        @Override
        public String toString() {
            return String.join(" ", words);
        }
    }

    /** Options of helm, kubectl, docker and aws that take the next word as their value. */
    private static final List<String> TAKES_VALUE = List.of("-n", "--namespace", "-f", "--filename", "--set",
            "--version", "-t", "--tag", "--build-arg", "-o", "--from-literal", "--from-file", "--values");
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)=(\\S*)$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?");

    private ReadmeCommands() {
    }

    /** The text of the section under {@code ## heading}, up to the next heading of that level. */
    static String section(String heading) {
        String text = read(README);
        int start = text.indexOf("\n## " + heading + "\n");
        if (start < 0) {
            throw new AssertionError("README.md has no section '## " + heading + "'");
        }
        int end = text.indexOf("\n## ", start + 1);
        return text.substring(start, end < 0 ? text.length() : end);
    }

    /** Fenced blocks of a language ("" for blocks without one) in order. */
    static List<String> blocks(String markdown, String language) {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = null;
        String currentLanguage = null;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                if (current == null) {
                    current = new StringBuilder();
                    currentLanguage = line.substring(3).strip();
                } else {
                    if (currentLanguage.equals(language)) {
                        blocks.add(current.toString());
                    }
                    current = null;
                }
            } else if (current != null) {
                current.append(line).append('\n');
            }
        }
        return blocks;
    }

    /** Every command of the section's bash blocks. */
    static List<Command> of(String heading) {
        List<Command> commands = new ArrayList<>();
        for (String block : blocks(section(heading), "bash")) {
            Map<String, String> variables = new HashMap<>();
            for (String line : block.replace("\\\n", " ").split("\n")) {
                List<String> words = words(line, variables);
                if (words.size() == 1 && ASSIGNMENT.matcher(words.get(0)).matches()) {
                    Matcher a = ASSIGNMENT.matcher(words.get(0));
                    a.matches();
                    variables.put(a.group(1), a.group(2));
                } else if (!words.isEmpty()) {
                    commands.add(new Command(words));
                }
            }
        }
        return commands;
    }

    /** A line split into words as a shell splits it (quotes, comments, known variables). */
    static List<String> words(String line, Map<String, String> variables) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote == 0 && c == '#' && word == null) {
                break;
            }
            if (quote == 0 && Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else if (c == '$' && quote != '\'') {
                Matcher v = VARIABLE.matcher(line).region(i, line.length());
                if (v.lookingAt() && variables.containsKey(v.group(1))) {
                    word.append(variables.get(v.group(1)));
                    i = v.end() - 1;
                } else {
                    word.append(c);
                }
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
