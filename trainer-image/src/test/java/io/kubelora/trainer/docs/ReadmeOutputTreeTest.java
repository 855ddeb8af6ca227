package io.kubelora.trainer.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.trainer.cli.Main;
import io.kubelora.trainer.train.ColourTask;
import io.kubelora.trainer.train.RunYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output tree README.md shows for the quickstart is what a run writes: every entry it names exists, and
 * everything a run writes is named (a short run with the quickstart's layout: adapter, checkpoints, reports).
 */
class ReadmeOutputTreeTest {

    /** One line of the tree: its depth, name (folders end in '/') and comment. */
    record Entry(int depth, String name, String comment) {
    }

    private static final Pattern LINE = Pattern.compile("^((?:│   |    )*)[├└]── (\\S+)\\s*(?:# (.*))?$");

    @Test
    void readmeTreeIsWhatARunWrites(@TempDir Path dir) throws Exception {
        List<Entry> tree = readmeTree();
        Path out = train(dir);

        assertEquals(names(tree, 0), children(out), "top level of " + out);
        Entry adapter = tree.stream().filter(e -> e.name().equals("adapter/")).findFirst().orElseThrow();
        assertEquals(childNames(tree, adapter), children(out.resolve("adapter")), "adapter/");
        Entry checkpoints = tree.stream().filter(e -> e.name().equals("checkpoints/")).findFirst().orElseThrow();
        List<Entry> steps = childEntries(tree, checkpoints);
        assertFalse(steps.isEmpty(), "the README shows no checkpoint");
        steps.forEach(s -> assertTrue(s.name().matches("step-\\d+/"), s.name()));
        Set<String> listed = Arrays.stream(steps.get(0).comment().split(",")).map(String::strip)
                .collect(Collectors.toCollection(TreeSet::new));
        try (Stream<Path> written = Files.list(out.resolve("checkpoints"))) {
            for (Path step : written.toList()) {
                assertTrue(step.getFileName().toString().matches("step-\\d+"), step.toString());
                assertEquals(listed, children(step), "contents of " + step + " as the README's comment lists them");
            }
        }
    }

    private static List<Entry> readmeTree() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int start = lines.indexOf(".kubelora/runs/quickstart/");
        assertTrue(start >= 0, "README.md shows no output tree of .kubelora/runs/quickstart/");
        List<Entry> entries = new ArrayList<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                break;
            }
            entries.add(new Entry(m.group(1).length() / 4, m.group(2), m.group(3) == null ? "" : m.group(3)));
        }
        return entries;
    }

    private static Set<String> names(List<Entry> tree, int depth) {
        return tree.stream().filter(e -> e.depth() == depth).map(Entry::name)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<Entry> childEntries(List<Entry> tree, Entry parent) {
        List<Entry> children = new ArrayList<>();
        for (int i = tree.indexOf(parent) + 1; i < tree.size() && tree.get(i).depth() > parent.depth(); i++) {
            if (tree.get(i).depth() == parent.depth() + 1) {
                children.add(tree.get(i));
            }
        }
        return children;
    }

    private static Set<String> childNames(List<Entry> tree, Entry parent) {
        return childEntries(tree, parent).stream().map(Entry::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Names in a folder as the tree writes them: folders with a trailing '/'. */
    private static Set<String> children(Path folder) throws IOException {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : ""))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** A short run with the quickstart's features: evaluation, periodic checkpoints, a local output. */
    private static Path train(Path dir) throws Exception {
        Path model = ColourTask.model(dir, 2);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            records.add("{\"instruction\": \"Add " + i + " and 2.\", \"input\": \"\", \"output\": \"" + (i + 2) + "\"}");
        }
        Path data = Files.write(dir.resolve("data.jsonl"), records);
        Path out = dir.resolve("runs/quickstart");
        Path config = RunYaml.named("quickstart").set("baseModel.uri", model).set("dataset.uri", data)
                .set("dataset.format", "alpaca").set("dataset.maxSeqLength", 32).set("dataset.validationSplit", 0.25)
                .set("lora.rank", 4).set("training.maxSteps", 6).set("training.batchSize", 4)
                .set("training.logEverySteps", 1).set("training.evalEverySteps", 3)
                .set("training.checkpointEverySteps", 2).set("training.checkpointsToKeep", 2)
                .set("training.precision", "fp32").set("output.uri", out).set("resources.gpus", 0)
                .write(dir.resolve("run.yaml"));
        assertEquals(0, Main.run("train", "-f", config.toString(), "--work-dir", dir.resolve("work").toString()));
        return out;
    }
}
