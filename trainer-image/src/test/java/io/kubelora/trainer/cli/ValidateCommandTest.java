package io.kubelora.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Quantization;
import io.kubelora.api.TrainerExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** kubelora validate on the platform examples and on runs that break their profile or policy, without a cluster. */
class ValidateCommandTest {

    private static final Path PLATFORM = Path.of("..", "examples", "platform");
    private static final Path GPU_PROFILE = PLATFORM.resolve("profile-qlora-1x80gb.yaml");
    private static final Path CPU_PROFILE = PLATFORM.resolve("profile-cpu-smoke-test.yaml");
    private static final Path POLICY = PLATFORM.resolve("policy-team-a.yaml");

    @TempDir
    Path dir;

    /** One command line's outcome. */
    record Result(int exit, String out, String err) {
    }

    @Test
    void theExampleRunIsValidAndItsEffectiveSpecIsPrinted() {
        Result r = validate(PLATFORM.resolve("run.yaml"), "--profile", GPU_PROFILE.toString(), "--profile",
                CPU_PROFILE.toString(), "--policy", POLICY.toString());
        assertEquals(0, r.exit(), r.err());
        LoraFineTune effective = LoraFineTuneYaml.parse(r.out(), "stdout");
        assertNull(effective.getSpec().profile());
        assertEquals(Quantization.NF4, effective.getSpec().quantization(), "from the profile's template");
        assertEquals("s3://team-a-runs/support-bot", effective.getSpec().output().uri(), "the run's own");
        assertEquals("gpu-80gb", effective.getMetadata().getLabels().get("kueue.x-k8s.io/queue-name"));
        assertTrue(r.err().contains("run.yaml: valid with FineTuneProfile qlora-1x80gb"), r.err());
        assertTrue(r.err().contains("note: maxConcurrentRuns (2) is counted by the operator"), r.err());
    }

    /** The smoke test of the same run: ten steps on the CPU, under the same policy. */
    @Test
    void theExampleRunOnTheCpuSmokeTestProfileIsValidToo() throws Exception {
        Path run = write("smoke.yaml", Files.readString(PLATFORM.resolve("run.yaml"))
                .replace("profile: qlora-1x80gb", "profile: cpu-smoke-test"));
        Result r = validate(run, "--profile", CPU_PROFILE.toString(), "--policy", POLICY.toString());
        assertEquals(0, r.exit(), r.err());
        LoraFineTune effective = LoraFineTuneYaml.parse(r.out(), "stdout");
        assertEquals(0, effective.getSpec().resources().gpus());
        assertEquals(10, effective.getSpec().training().maxSteps());
        assertEquals("cpu-batch", effective.getMetadata().getLabels().get("kueue.x-k8s.io/queue-name"));
    }

    @Test
    void everyViolationIsPrintedNamingFieldValueAndPolicy() throws Exception {
        Path run = write("steal.yaml", """
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata: {name: steal}
                spec:
                  profile: cpu-smoke-test
                  image: attacker.example/dump-env:latest
                  baseModel: {uri: "hf://someone/model"}
                  dataset: {uri: "s3://team-a-data/x.jsonl"}
                  output: {uri: "s3://team-a-runs/x"}
                  credentials: {storageSecretName: database-admin}
                  lora: {rank: 128}
                """);
        Result r = validate(run, "--profile", CPU_PROFILE.toString(), "--policy", POLICY.toString());
        assertEquals(TrainerExitCode.INVALID_SPEC.code(), r.exit());
        List<String> expected = List.of(
                "spec.image: is locked by FineTuneProfile cpu-smoke-test: the profile decides it; remove it from the "
                        + "run",
                "spec.baseModel.uri: 'hf://someone/model' is not allowed by FineTunePolicy team-a (allowedBaseModels: "
                        + "hf://meta-llama/, hf://Qwen/, s3://team-a-models/)",
                "spec.image: 'attacker.example/dump-env:latest' is not allowed by FineTunePolicy team-a "
                        + "(allowedImages: ghcr.io/kubelora/trainer:)",
                "spec.credentials.storageSecretName: 'database-admin' is not allowed by FineTunePolicy team-a "
                        + "(allowedSecrets: object-storage, huggingface-token)",
                "spec.lora.rank: 128 is more than FineTunePolicy team-a allows (maxRank: 64)");
        for (String line : expected) {
            assertTrue(r.err().contains(run + ": " + line + "\n"), "missing: " + line + "\n" + r.err());
        }
        assertTrue(r.err().endsWith(run + ": invalid: 5 problems\n"), r.err());
        assertEquals(10, LoraFineTuneYaml.parse(r.out(), "stdout").getSpec().training().maxSteps(),
                "the effective spec is printed too");
    }

    @Test
    void theRunsOwnErrorsNameFieldAndLine() throws Exception {
        Path run = write("typo.yaml", Files.readString(PLATFORM.resolve("run.yaml")) + "  lora: {rank: sixteen}\n");
        Result r = validate(run, "--profile", GPU_PROFILE.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("spec.lora.rank: expected an integer, was 'sixteen' (line 10)"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void aProfileNotGivenIsNamedAndAPolicyFileThatCannotBeUsedToo() throws Exception {
        Result missing = validate(PLATFORM.resolve("run.yaml"), "--policy", POLICY.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("spec.profile: no FineTuneProfile named 'qlora-1x80gb' (give its file "
                + "with --profile)"), missing.err());

        Path policy = write("policy.yaml", Files.readString(POLICY).replace("maxGpusPerRun: 1", "maxGpusPerRun: 17"));
        Result broken = validate(PLATFORM.resolve("run.yaml"), "--profile", GPU_PROFILE.toString(), "--policy",
                policy.toString());
        assertEquals(2, broken.exit());
        assertTrue(broken.err().contains(policy + ": invalid FineTunePolicy: spec.maxGpusPerRun: must be at least 0 "
                + "and at most 16 (was 17)"), broken.err());
    }

    @Test
    void aPolicyOfAnotherNamespaceDoesNotApply() throws Exception {
        Path run = write("run.yaml", Files.readString(PLATFORM.resolve("run.yaml"))
                .replace("name: support-bot", "name: support-bot\n  namespace: team-b"));
        Path policy = write("policy.yaml", Files.readString(POLICY).replace("name: team-a", "name: team-a\n"
                + "  namespace: team-a").replace("maxRank: 64", "maxRank: 8"));
        assertEquals(0, validate(run, "--profile", GPU_PROFILE.toString(), "--policy", policy.toString()).exit());
        Path sameNamespace = write("team-a.yaml", Files.readString(run).replace("team-b", "team-a"));
        Result refused = validate(sameNamespace, "--profile", GPU_PROFILE.toString(), "--policy", policy.toString());
        assertTrue(refused.err().contains("spec.lora.rank: 16 is more than FineTunePolicy team-a allows (maxRank: 8)"),
                refused.err());
    }

    /** What kubectl get -o yaml writes for several resources (a v1 List) is read as those resources. */
    @Test
    void profilesAndPoliciesExportedFromTheClusterAsAListAreRead() throws Exception {
        String items = Stream.of(GPU_PROFILE, CPU_PROFILE).map(ValidateCommandTest::item)
                .collect(Collectors.joining());
        Path profiles = write("profiles.yaml", "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\n"
                + "items:\n" + items);
        Path policies = write("policies.yaml", "apiVersion: v1\nkind: List\nitems:\n"
                + item(POLICY).replace("maxRank: 64", "maxRank: 8"));
        Result r = validate(PLATFORM.resolve("run.yaml"), "--profile", profiles.toString(), "--policy",
                policies.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("spec.lora.rank: 16 is more than FineTunePolicy team-a allows (maxRank: 8)"),
                "the profile's rank, the policy's limit: " + r.err());
        assertTrue(r.err().endsWith("invalid: 1 problem\n"), r.err());
    }

    /** Train and plan would run a part of the run: they refuse it before anything is fetched. */
    @ParameterizedTest
    @ValueSource(strings = {"train", "plan"})
    void trainAndPlanRefuseARunThatNamesAProfile(String command) {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setErr(new PrintWriter(err)).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new ErrorReporter())
                .execute(command, "-f", PLATFORM.resolve("run.yaml").toString());
        assertEquals(TrainerExitCode.INVALID_SPEC.code(), exit, err.toString());
        assertTrue(err.toString().contains("spec.profile: names FineTuneProfile 'qlora-1x80gb', which the operator "
                + "resolves in a cluster; here, kubelora validate -f " + PLATFORM.resolve("run.yaml")), err.toString());
    }

    /** A YAML file as one item of a List: its lines indented under "- ". */
    private static String item(Path file) {
        try {
            String yaml = Files.readString(file).lines().filter(l -> !l.startsWith("#"))
                    .collect(Collectors.joining("\n", "", "\n"));
            return "- " + yaml.indent(2).substring(2);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static Result validate(Path run, String... options) {
        List<String> args = new ArrayList<>(List.of("validate", "-f", run.toString()));
        args.addAll(List.of(options));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .setExecutionExceptionHandler(new ErrorReporter()).execute(args.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }
}
