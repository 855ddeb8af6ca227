package io.kubelora.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of the trainer image without a Docker engine: its flavors exist in the pytorch-jni jar,
 * its libtorch version is the project's, and its paths, variables, command and port are the ones the
 * operator's training Job uses.
 */
class TrainerImageTest {

    private static final Dockerfile IMAGE = Dockerfile.read(Path.of("..", "trainer-image", "Dockerfile"));
    private static final String LIBTORCH_VERSION = System.getProperty("libtorch.version");
    private static final String LAUNCHER = "/opt/kubelora/bin/trainer";
    private static final String MAIN_CLASS = "io.kubelora.trainer.cli.Main";

    @Test
    void everyFlavorIsAFolderOfThePytorchJniJar() throws IOException {
        Set<String> flavors = flavors();
        assertEquals(Set.of("cpu", "cu128"), flavors);
        assertTrue(flavors.contains(IMAGE.globalArgs().get("FLAVOR")), "default FLAVOR " + IMAGE.globalArgs());
        assertEquals("runtime-${FLAVOR}", IMAGE.last().from());
        Set<String> jniFolders = jniFlavorFolders();
        for (String flavor : flavors) {
            assertTrue(jniFolders.contains(flavor), "pytorch-jni has no jnilib/linux-x86_64/" + flavor
                    + "/libdjl_torch.so; it has " + jniFolders);
            assertEquals(flavor, IMAGE.stage("runtime-" + flavor).env().get("PYTORCH_FLAVOR"));
        }
    }

    @Test
    void libtorchVersionIsTheProjects() throws IOException {
        assertNotNull(LIBTORCH_VERSION, "surefire must pass the pom's libtorch.version");
        assertEquals(LIBTORCH_VERSION, IMAGE.globalArgs().get("TORCH_VERSION"));
        assertEquals("${TORCH_VERSION}", IMAGE.stage("runtime-base").env().get("PYTORCH_VERSION"));
        String pip = String.join(" ", IMAGE.stage("libtorch-cu128").arguments("RUN"));
        assertTrue(pip.contains("\"torch==${TORCH_VERSION}\"") && pip.contains("/whl/cu128"), pip);
        Properties jni = new Properties();
        try (InputStream in = jniResource().openStream()) {
            jni.load(in);
        }
        assertTrue(jni.getProperty("jni_version", "").startsWith(LIBTORCH_VERSION + "-"),
                "pytorch-jni is built for " + jni.getProperty("jni_version"));
        Map<String, String> cuda = IMAGE.stage("runtime-cu128").env();
        assertEquals("/opt/libtorch/site-packages/torch/lib", cuda.get("PYTORCH_LIBRARY_PATH"));
    }

    @Test
    void theCudaFlavourTellsJnaWhereTheWheelsCudaRuntimeIs() {
        Map<String, String> cuda = IMAGE.stage("runtime-cu128").env();
        // torch/lib of the wheel, laid out as in site-packages: its CUDA runtime is nvidia/cuda_runtime/lib beside it.
        Path torchLib = Path.of(cuda.get("PYTORCH_LIBRARY_PATH"));
        Path cudart = torchLib.getParent().getParent().resolve("nvidia/cuda_runtime/lib");
        String javaOpts = cuda.get("JAVA_OPTS");
        assertNotNull(javaOpts, "the cu128 image sets no JAVA_OPTS");
        assertTrue(javaOpts.startsWith("${JAVA_OPTS} "), "keeps the base image's options: " + javaOpts);
        assertTrue(List.of(javaOpts.split("\\s+")).contains("-Djna.library.path=" + cudart), javaOpts);
        String keep = String.join(" ", IMAGE.stage("libtorch-cu128").arguments("RUN"));
        assertTrue(keep.contains("! -name nvidia"), "the wheel's nvidia/ libraries are kept: " + keep);
        assertTrue(IMAGE.stage("runtime-cu128").arguments("COPY").contains("--from=libtorch-cu128 /opt/libtorch "
                + "/opt/libtorch"), "the cu128 image holds the wheel's folders");
        String launcher = String.join("\n", IMAGE.stage("runtime-base").arguments("RUN"));
        assertTrue(launcher.contains("exec java $JAVA_OPTS "), "the launcher passes JAVA_OPTS to java: " + launcher);
        assertTrue(IMAGE.stage("runtime-cpu").env().get("JAVA_OPTS") == null, "the CPU image needs no CUDA runtime");
    }

    @Test
    void pathsAndVariablesMatchTheTrainingJob() {
        String operator = SourceContract.mainSources("operator");
        Map<String, String> env = IMAGE.stage("runtime-base").env();
        // The Job sets these too (its volumes are mounted there); image and Job must agree on every value.
        for (String name : List.of("KUBELORA_CACHE_DIR", "KUBELORA_PVC_ROOT", "HOME")) {
            String value = env.get(name);
            assertNotNull(value, "the image sets no " + name);
            assertTrue(SourceContract.hasLiteral(operator, name), "the operator's Job sets no " + name);
            assertTrue(SourceContract.hasLiteral(operator, value), "the operator never uses " + name + "=" + value);
        }
        assertTrue(env.get("DJL_CACHE_DIR").startsWith(env.get("KUBELORA_CACHE_DIR") + "/"),
                "DJL must unpack into the writable cache volume: " + env.get("DJL_CACHE_DIR"));
        assertEquals("PASSIVE", env.get("OMP_WAIT_POLICY"));
    }

    @Test
    void launcherIsTheJobsCommandAndRunsTheTrainerMain() throws IOException {
        String operator = SourceContract.mainSources("operator");
        assertTrue(SourceContract.hasLiteral(operator, LAUNCHER), "the operator's Job does not run " + LAUNCHER);
        String run = String.join("\n", IMAGE.stage("runtime-base").arguments("RUN"));
        assertTrue(run.contains("> " + LAUNCHER) && run.contains("chmod 0755 " + LAUNCHER), run);
        assertTrue(run.contains("exec java $JAVA_OPTS -Dai.djl.offline=true -Djava.awt.headless=true "
                + "-cp \"/opt/kubelora/lib/*\" " + MAIN_CLASS + " \"$@\""), run);
        assertEquals(List.of("[\"" + LAUNCHER + "\"]"), IMAGE.last().arguments("ENTRYPOINT"));

        String pom = Files.readString(Path.of("..", "trainer-image", "pom.xml"));
        assertTrue(pom.contains("<mainClass>" + MAIN_CLASS + "</mainClass>"), "trainer pom main class differs");
        assertTrue(pom.contains("<finalName>kubelora-trainer</finalName>"), "trainer jar name differs");
        List<String> copies = IMAGE.stage("jars-cpu").arguments("COPY");
        assertTrue(copies.contains("target/lib/ /opt/kubelora/lib/"), copies.toString());
        assertTrue(copies.contains("target/kubelora-trainer.jar /opt/kubelora/lib/kubelora-trainer.jar"),
                copies.toString());
        for (String flavor : flavors()) {
            assertEquals(List.of("--from=jars-" + flavor + " /opt/kubelora/lib/ /opt/kubelora/lib/"),
                    IMAGE.stage("runtime-" + flavor).arguments("COPY").stream()
                            .filter(c -> c.startsWith("--from=jars-")).toList(), "jars of flavor " + flavor);
        }
    }

    @Test
    void metricsPortIsTheOneTheOperatorScrapes() {
        Matcher port = Pattern.compile("METRICS_PORT\\s*=\\s*(\\d+)").matcher(SourceContract.mainSources("operator"));
        assertTrue(port.find(), "the operator declares no METRICS_PORT");
        assertEquals(List.of(port.group(1)), IMAGE.last().arguments("EXPOSE"));
    }

    @Test
    void runsAsNonRoot() {
        assertEquals(List.of("1000:1000"), IMAGE.last().arguments("USER"));
    }

    private static Set<String> flavors() {
        Set<String> flavors = new TreeSet<>();
        for (Dockerfile.Stage stage : IMAGE.stages()) {
            if (stage.name() != null && stage.name().startsWith("runtime-") && !stage.name().equals("runtime-base")) {
                flavors.add(stage.name().substring("runtime-".length()));
            }
        }
        return flavors;
    }

    private static URL jniResource() {
        URL url = TrainerImageTest.class.getClassLoader().getResource("jnilib/pytorch.properties");
        assertNotNull(url, "pytorch-jni is not on the test classpath");
        return url;
    }

    private static Set<String> jniFlavorFolders() throws IOException {
        Set<String> folders = new TreeSet<>();
        JarURLConnection connection = (JarURLConnection) jniResource().openConnection();
        try (JarFile jar = new JarFile(connection.getJarFileURL().getFile())) {
            Pattern lib = Pattern.compile("jnilib/linux-x86_64/([^/]+)/libdjl_torch\\.so");
            jar.stream().forEach(entry -> {
                Matcher m = lib.matcher(entry.getName());
                if (m.matches()) {
                    folders.add(m.group(1));
                }
            });
        }
        return folders;
    }
}
