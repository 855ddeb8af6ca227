package io.kubelora.operator.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.Violation;
import io.kubelora.api.platform.FineTunePolicy;
import io.kubelora.api.platform.FineTuneProfile;
import io.kubelora.api.platform.Profile;
import io.kubelora.api.platform.RunAdmission;
import io.kubelora.operator.OperatorSettings;
import io.kubelora.operator.validation.ClusterSpecChecks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * The platform's say on a run about to get its Job: its effective spec (its FineTuneProfile's template with its
 * own fields on top) and what the profile's locks and the namespace's FineTunePolicies forbid, as
 * {@link RunAdmission} decides it. The run and the profile are read as written, without the defaults the model
 * fills in: a field left out must stay out to take the template's value.
 */
@ApplicationScoped
public class PlatformAdmission {

    private static final ObjectMapper JSON = LoraFineTuneYaml.strictJson();
    private static final ResourceDefinitionContext RUNS = ResourceDefinitionContext.fromResourceType(
            LoraFineTune.class);
    private static final ResourceDefinitionContext PROFILES = ResourceDefinitionContext.fromResourceType(
            FineTuneProfile.class);

    /**
     * @param result          the admission, or null when the run waits for its profile
     * @param missingProfile  the profile the run names that does not exist, or null
     * @param specViolations  why the effective spec cannot run in this cluster (InvalidSpec)
     */
    public record Decision(RunAdmission.Result result, String missingProfile, List<Violation> specViolations) {
    }

    private final KubernetesClient client;
    private final OperatorSettings settings;

    @Inject
    public PlatformAdmission(KubernetesClient client, OperatorSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public Decision decide(LoraFineTune run) {
        String namespace = run.getMetadata().getNamespace();
        String profileName = run.getSpec().profile();
        Profile profile = null;
        JsonNode written = null;
        if (profileName != null) {
            GenericKubernetesResource found = client.genericKubernetesResources(PROFILES).withName(profileName).get();
            if (found == null) {
                return new Decision(null, profileName, List.of());
            }
            try {
                profile = Profile.of(JSON.valueToTree(found), FineTuneProfile.KIND + " " + profileName);
            } catch (InvalidSpecException e) {
                return new Decision(null, null, prefixed("FineTuneProfile " + profileName, e.violations()));
            }
            GenericKubernetesResource asWritten = client.genericKubernetesResources(RUNS).inNamespace(namespace)
                    .withName(run.getMetadata().getName()).get();
            written = asWritten == null ? null : JSON.valueToTree(asWritten).path("spec");
        }
        List<FineTunePolicy> policies = client.resources(FineTunePolicy.class).inNamespace(namespace).list()
                .getItems();
        RunAdmission.Result result = RunAdmission.evaluate(new RunAdmission.Request(run, written, profile, policies,
                settings.defaultImage()));
        List<Violation> specViolations = new ArrayList<>(result.specViolations());
        if (result.effective() != null) {
            specViolations.addAll(ClusterSpecChecks.validate(result.effective(), settings));
        }
        return new Decision(result, null, specViolations);
    }

    /** A profile's own problems, named as such in the run's status. */
    private static List<Violation> prefixed(String profile, List<Violation> violations) {
        return violations.stream().map(v -> new Violation(profile + ": " + v.field(), v.message())).toList();
    }
}
