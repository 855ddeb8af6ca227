package io.kubelora.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.api.Violation;
import io.kubelora.api.platform.FineTunePolicy;
import io.kubelora.api.platform.FineTuneProfile;
import io.kubelora.api.platform.PlatformYaml;
import io.kubelora.api.platform.PolicyChecks;
import io.kubelora.api.platform.Profile;
import io.kubelora.api.platform.RunAdmission;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * kubelora validate -f RUN.yaml [--profile FILE]... [--policy FILE]...: what the cluster would say about a run
 * before it is applied (GitOps CI): its schema and rules, its profile's locks, the namespace's policies, as the
 * operator checks them. Prints the effective spec; reads only the given files, fetches nothing.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a LoraFineTune as the cluster would: schema, rules, its FineTuneProfile and the "
                + "namespace's FineTunePolicies. Prints the effective spec and every violation; exit code 0 when "
                + "valid, 2 otherwise.")
final class ValidateCommand implements Callable<Integer> {

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "The LoraFineTune.")
    Path run;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "A file of FineTuneProfiles (several documents allowed); repeatable.")
    List<Path> profileFiles = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "FILE", description = "A file of FineTunePolicies of the run's "
            + "namespace (several documents allowed); repeatable. A policy naming another namespace is skipped.")
    List<Path> policyFiles = new ArrayList<>();

    @Option(names = "--default-image", paramLabel = "IMAGE", description = "The operator's default trainer image "
            + "(the chart's trainer.image), which policies without allowedImages admit.")
    String defaultImage;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoraFineTune resource;
        try {
            resource = LoraFineTuneYaml.read(run);
        } catch (InvalidSpecException e) {
            return invalid(e.violations(), err);
        }
        // A profile or policy file that cannot be used is an error of its own, named by its file.
        List<FineTunePolicy> policies = policies(resource.getMetadata().getNamespace());
        Profile profile = profile(resource.getSpec().profile());
        JsonNode written = PlatformYaml.documents(run).get(0).path("spec");
        RunAdmission.Result result = RunAdmission.evaluate(new RunAdmission.Request(resource, written, profile,
                policies, defaultImage));
        if (result.effective() != null) {
            out.print(effectiveDocument(result.effective()));
            out.flush();
        }
        PolicyChecks.maxConcurrentRuns(policies).ifPresent(limit -> err.println(run + ": note: maxConcurrentRuns ("
                + limit + ") is counted by the operator when the run starts"));
        List<Violation> problems = new ArrayList<>(result.specViolations());
        problems.addAll(result.policyViolations());
        if (!problems.isEmpty()) {
            return invalid(problems, err);
        }
        err.println(run + ": valid" + (profile == null ? "" : " with FineTuneProfile " + profile.name()));
        return 0;
    }

    /**
     * Refuses a run that names a profile where no profile is at hand (train, plan): only its effective spec, which
     * this command prints, says what it runs.
     */
    static void refuseProfile(LoraFineTune resource, Path file) {
        if (resource.getSpec().profile() != null) {
            throw new InvalidSpecException(file.toString(), List.of(new Violation("spec.profile",
                    "names FineTuneProfile '" + resource.getSpec().profile() + "', which the operator resolves in a "
                            + "cluster; here, kubelora validate -f " + file + " --profile PROFILE.yaml prints the "
                            + "effective spec to use instead")));
        }
    }

    private int invalid(List<Violation> problems, PrintWriter err) {
        for (Violation problem : problems) {
            boolean missingProfile = problem.field().equals("spec.profile")
                    && problem.message().startsWith("no FineTuneProfile");
            err.println(run + ": " + problem + (missingProfile ? " (give its file with --profile)" : ""));
        }
        err.println(run + ": invalid: " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
        return TrainerExitCode.INVALID_SPEC.code();
    }

    /** The profile a run names, from the --profile files; null when it names none or it is not there. */
    private Profile profile(String name) {
        if (name == null) {
            return null;
        }
        for (Path file : profileFiles) {
            for (JsonNode document : PlatformYaml.documents(file)) {
                if (PlatformYaml.isKind(document, FineTuneProfile.KIND)
                        && name.equals(document.path("metadata").path("name").asText())) {
                    return Profile.of(document, file.toString());
                }
            }
        }
        return null;
    }

    private List<FineTunePolicy> policies(String namespace) {
        List<FineTunePolicy> policies = new ArrayList<>();
        for (Path file : policyFiles) {
            List<JsonNode> documents = PlatformYaml.documents(file).stream()
                    .filter(d -> PlatformYaml.isKind(d, FineTunePolicy.KIND)).toList();
            if (documents.isEmpty()) {
                throw new IllegalArgumentException(file + ": no " + FineTunePolicy.KIND + " in it");
            }
            for (JsonNode document : documents) {
                FineTunePolicy policy = PlatformYaml.policy(document, file.toString());
                String own = policy.getMetadata().getNamespace();
                if (own == null || namespace == null || Objects.equals(own, namespace)) {
                    policies.add(policy);
                }
            }
        }
        return policies;
    }

    /** The run as the trainer would get it: name, namespace, labels and the effective spec with its defaults. */
    private static String effectiveDocument(LoraFineTune effective) {
        LoraFineTune document = new LoraFineTune();
        document.setMetadata(new ObjectMetaBuilder().withName(effective.getMetadata().getName())
                .withNamespace(effective.getMetadata().getNamespace())
                .withLabels(effective.getMetadata().getLabels().isEmpty() ? null : effective.getMetadata().getLabels())
                .build());
        document.setSpec(effective.getSpec());
        return LoraFineTuneYaml.write(document);
    }
}
