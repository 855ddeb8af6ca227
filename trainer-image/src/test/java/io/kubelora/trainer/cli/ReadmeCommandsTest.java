package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.TrainerExitCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What README.md and the kubelora launcher say about the commands is true: the README's commands table and the
 * launcher's list name every command with options it has, and the platform walkthrough's `kubelora validate`
 * commands give the results it shows.
 */
class ReadmeCommandsTest {

    private static final Path ROOT = Path.of("..");
    private static final String WALKTHROUGH = "Platform teams: profiles and policies";
    /** A command as the README's table writes it in a code span: {@code ./kubelora NAME [--option ...]}. */
    private static final Pattern SPAN = Pattern.compile("`\\./kubelora ([a-z0-9-]+)([^`]*)`");
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[a-z][a-z0-9-]*)");

    /** One fenced block of a README section: its language ("" for none) and text. */
    record Block(String language, String text) {
    }

    @Test
    void theCommandsTableNamesEveryCommandWithOptionsItHas() throws Exception {
        CommandLine main = new CommandLine(new Main());
        Set<String> listed = new TreeSet<>();
        for (String row : section("Commands").lines().filter(l -> l.startsWith("| `./kubelora")).toList()) {
            String command = row.split("(?<!\\\\)\\|")[1]; // the first cell; "\|" separates a value's choices
            Matcher span = SPAN.matcher(command);
            assertTrue(span.find(), row);
            do {
                CommandLine sub = main.getSubcommands().get(span.group(1));
                assertNotNull(sub, "no command " + span.group(1) + ": " + row);
                listed.add(span.group(1));
                Matcher option = OPTION.matcher(span.group(2));
                while (option.find()) {
                    assertNotNull(sub.getCommandSpec().findOption(option.group(1)),
                            span.group(1) + " has no option " + option.group(1) + ": " + row);
                }
            } while (span.find());
        }
        assertEquals(commands(main), listed, "the README's commands table");
    }

    @Test
    void theLauncherListsEveryCommand() throws Exception {
        Set<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(ROOT.resolve("kubelora"))) {
            Matcher m = Pattern.compile("^#\\s+\\./kubelora ([a-z0-9-]+)").matcher(line);
            if (m.find()) {
                listed.add(m.group(1));
            }
        }
        assertEquals(commands(new CommandLine(new Main())), listed, "the commands in the kubelora launcher's header");
    }

    @Test
    void theWalkthroughsRunIsTheExampleAndItValidatesAsShown() throws Exception {
        String section = section(WALKTHROUGH);
        String run = Files.readString(ROOT.resolve("examples/platform/run.yaml"));
        assertTrue(blocks(section).contains(new Block("yaml", run)), "the walkthrough shows examples/platform/run.yaml");
        List<List<String>> validations = commandLines(section).stream()
                .filter(c -> c.subList(0, 2).equals(List.of("./kubelora", "validate"))).toList();
        assertFalse(validations.isEmpty(), "the walkthrough validates the example");
        for (List<String> command : validations) {
            List<String> args = new ArrayList<>(command.subList(1, command.size()));
            for (int i = 1; i < args.size(); i++) {
                if (args.get(i - 1).startsWith("-")) {
                    args.set(i, ROOT.resolve(args.get(i)).toString()); // paths from the repository root
                }
            }
            Result result = execute(args);
            assertEquals(0, result.exit(), command + "\n" + result.err());
            String last = result.err().strip().lines().reduce((a, b) -> b).orElseThrow();
            assertTrue(section.contains("ends with `" + last.replace(ROOT + "/", "") + "`"),
                    "the walkthrough says what it prints last: " + last);
        }
    }

    @Test
    void theRefusedRunPrintsWhatTheWalkthroughShows(@TempDir Path dir) throws Exception {
        List<Block> blocks = blocks(section(WALKTHROUGH));
        Block transcript = blocks.stream().filter(b -> b.language().isEmpty() && b.text().startsWith("$ ./kubelora"))
                .findFirst().orElseThrow(() -> new AssertionError("no `$ ./kubelora validate` transcript"));
        List<String> lines = transcript.text().lines().toList();
        List<String> args = new ArrayList<>(Arrays.asList(lines.get(0).substring(2).split(" +")));
        args.remove(0);
        String file = args.get(args.indexOf("-f") + 1);
        Block run = blocks.stream().filter(b -> b.language().equals("yaml")
                && b.text().contains("name: " + file.replace(".yaml", "") + "\n")).findFirst()
                .orElseThrow(() -> new AssertionError("the walkthrough does not show " + file));
        Path written = Files.writeString(dir.resolve(file), run.text());
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i - 1).startsWith("-")) {
                args.set(i, args.get(i).equals(file) ? written.toString() : ROOT.resolve(args.get(i)).toString());
            }
        }
        Result result = execute(args);
        assertEquals(TrainerExitCode.INVALID_SPEC.code(), result.exit(), result.err());
        assertEquals(lines.subList(1, lines.size()), result.err().replace(written.toString(), file).lines().toList());
    }

    /** One command line's outcome. */
    record Result(int exit, String out, String err) {
    }

    private static Result execute(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .setExecutionExceptionHandler(new ErrorReporter()).execute(args.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    private static Set<String> commands(CommandLine main) {
        Set<String> names = new TreeSet<>(main.getSubcommands().keySet());
        names.remove("help");
        return names;
    }

    /** The text under {@code ## heading} up to the next heading of that level. */
    private static String section(String heading) throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("\n## " + heading + "\n");
        assertTrue(start >= 0, "README.md has no section '## " + heading + "'");
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^```(\\w*)\\n(.*?)^```$", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            blocks.add(new Block(m.group(1), m.group(2)));
        }
        return blocks;
    }

    /** The command lines of the bash blocks as words (continuation lines joined; no quoting is needed here). */
    private static List<List<String>> commandLines(String markdown) {
        return blocks(markdown).stream().filter(b -> b.language().equals("bash"))
                .flatMap(b -> b.text().replace("\\\n", " ").lines())
                .map(l -> List.of(l.strip().split("\\s+"))).filter(w -> w.size() > 1).toList();
    }
}
