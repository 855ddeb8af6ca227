package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * `mvn install` (and deploy) from the root needs an artifact from every module: a jar module must have main
 * classes or resources to put in its jar, and none may skip an empty jar (install then fails with "The packaging
 * plugin ... did not assign a file to the build artifact"). A module of tests only is a pom.
 */
class ModulePackagingTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void everyModuleHasAnArtifactToInstall() throws IOException {
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1));
        }
        assertTrue(modules.contains("charts"), modules.toString());
        for (String module : modules) {
            String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            Matcher packaging = Pattern.compile("<packaging>([^<]+)</packaging>").matcher(pom);
            String type = packaging.find() ? packaging.group(1) : "jar";
            assertFalse(pom.contains("<skipIfEmpty>true</skipIfEmpty>"), module + " skips its empty jar");
            if (type.equals("jar")) {
                Path main = ROOT.resolve(module).resolve("src/main");
                assertTrue(Files.isDirectory(main.resolve("java")) || Files.isDirectory(main.resolve("resources")),
                        module + " is a jar module without main classes or resources: make it a pom");
            }
        }
    }
}
