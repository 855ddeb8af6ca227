package io.kubelora.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trainer's packages depend on each other one way only, as jdeps reads the compiled classes
 * ({@code jdeps -verbose:package -e 'io\.kubelora\..*' trainer-image/target/classes} prints the same picture):
 * the LoraFineTune API is translated at the edge (cli, train, storage) and never reaches the domain packages.
 */
class PackageDependenciesTest {

    private static final Set<String> MAY_USE_THE_API = Set.of("cli", "train", "storage");
    private static final Set<String> DOMAIN = Set.of("data", "data.template", "generate", "lora", "memory", "merge",
            "model", "quant", "safetensors", "script", "storage");
    private static final Pattern EDGE =
            Pattern.compile("^\\s+io\\.kubelora\\.(\\S+)\\s+->\\s+io\\.kubelora\\.(\\S+)\\s");

    /** Package (without the io.kubelora.trainer. prefix; the API as "api") -> packages it uses. */
    private static Map<String, Set<String>> uses;

    @BeforeAll
    static void readDependencies() {
        Path classes = Path.of("target", "classes", "io", "kubelora", "trainer");
        assertTrue(Files.isDirectory(classes), "compile the trainer first: " + classes.toAbsolutePath());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-e", "io\\.kubelora\\..*",
                Path.of("target", "classes").toString());
        assertEquals(0, exit, out.toString());
        uses = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find()) {
                String from = name(m.group(1));
                String to = name(m.group(2));
                if (!from.equals(to)) {
                    uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                }
            }
        }
        assertTrue(uses.containsKey("model"), out.toString());
    }

    private static String name(String pkg) {
        return pkg.startsWith("trainer.") ? pkg.substring("trainer.".length()) : pkg;
    }

    @Test
    void onlyTheEdgeUsesTheLoraFineTuneApi() {
        List<String> users = new ArrayList<>();
        uses.forEach((pkg, targets) -> {
            if (targets.contains("api")) {
                users.add(pkg);
            }
        });
        assertTrue(MAY_USE_THE_API.containsAll(users), "packages using io.kubelora.api: " + users);
    }

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        for (String start : uses.keySet()) {
            List<String> path = cycleFrom(start, start, new ArrayList<>(List.of(start)));
            assertTrue(path == null, "dependency cycle: " + String.join(" -> ", path == null ? List.of() : path)
                    + "\n" + uses);
        }
    }

    @Test
    void domainPackagesUseNoRunnerCommandOrBenchmark() {
        for (String pkg : DOMAIN) {
            Set<String> targets = uses.getOrDefault(pkg, Set.of());
            for (String outer : List.of("train", "cli", "bench")) {
                assertTrue(!targets.contains(outer), pkg + " uses " + outer + ": " + uses);
            }
        }
    }

    private static List<String> cycleFrom(String start, String at, List<String> path) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(next);
                return cycle;
            }
            if (!path.contains(next)) {
                path.add(next);
                List<String> found = cycleFrom(start, next, path);
                if (found != null) {
                    return found;
                }
                path.remove(path.size() - 1);
            }
        }
        return null;
    }
}
