package io.kubelora.api.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Whether a run may start, and as what: its effective spec (the profile's template with the run's fields on top,
 * the policies' default deadline) and every reason it may not. The operator decides with it before creating a
 * run's Job; {@code kubelora validate} shows the same verdict on files.
 */
public final class RunAdmission {

    private static final ObjectMapper JSON = LoraFineTuneYaml.strictJson();

    /**
     * @param run           the run as read (metadata and the spec with its defaults)
     * @param specAsWritten the run's spec as written, without defaults; null to use {@code run}'s spec
     * @param profile       the profile the run names, or null when it names none or it was not found
     * @param policies      the FineTunePolicies of the run's namespace
     * @param defaultImage  the trainer image of a run without spec.image, or null when unknown
     */
    public record Request(LoraFineTune run, JsonNode specAsWritten, Profile profile, List<FineTunePolicy> policies,
            String defaultImage) {

        public Request {
            policies = policies == null ? List.of() : List.copyOf(policies);
        }
    }

    /**
     * @param effective         the run with its effective spec and the labels of its Job's queue; null when no
     *                          spec could be made (see specViolations)
     * @param profile           the profile used, or null
     * @param specViolations    why the effective spec is invalid (as a spec: InvalidSpec)
     * @param policyViolations  what the profile's locks or the policies forbid (PolicyViolation)
     * @param maxConcurrentRuns the namespace's limit of runs with a Job, when a policy sets one
     */
    public record Result(LoraFineTune effective, Profile profile, List<Violation> specViolations,
            List<Violation> policyViolations, OptionalInt maxConcurrentRuns) {

        public boolean mayRun() {
            return effective != null && specViolations.isEmpty() && policyViolations.isEmpty();
        }

        public ProfileReference profileReference() {
            return profile == null ? null : profile.reference();
        }
    }

    private RunAdmission() {
    }

    public static Result evaluate(Request request) {
        LoraFineTune run = request.run();
        String source = run.getMetadata() == null ? null : run.getMetadata().getName();
        ObjectNode written = request.specAsWritten() instanceof ObjectNode tree ? tree
                : JSON.valueToTree(run.getSpec());
        String profileName = run.getSpec().profile();
        Profile profile = request.profile();
        List<Violation> locked = new ArrayList<>();
        ObjectNode effectiveSpec;
        if (profileName == null) {
            effectiveSpec = written.deepCopy();
        } else if (profile == null || !profileName.equals(profile.name())) {
            return new Result(null, null, List.of(new Violation("spec.profile", "no FineTuneProfile named '"
                    + profileName + "'")), List.of(), OptionalInt.empty());
        } else {
            for (String path : SpecMerge.lockedPathsSet(written, profile.spec().locked())) {
                locked.add(new Violation(path, "is locked by FineTuneProfile " + profile.name()
                        + ": the profile decides it; remove it from the run"));
            }
            effectiveSpec = SpecMerge.merge(profile.template(), written);
            effectiveSpec.remove("profile");
        }
        if (!effectiveSpec.has("activeDeadlineSeconds")) {
            PolicyChecks.defaultDeadline(request.policies())
                    .ifPresent(deadline -> effectiveSpec.put("activeDeadlineSeconds", deadline));
        }
        LoraFineTune effective;
        try {
            effective = LoraFineTuneYaml.fromTree(document(run, effectiveSpec), source);
        } catch (InvalidSpecException e) {
            return new Result(null, profile, e.violations(), locked, OptionalInt.empty());
        }
        effective.setMetadata(metadata(run, profile));
        String queue = effective.getMetadata().getLabels().get(PolicyChecks.QUEUE_LABEL);
        List<Violation> policyViolations = new ArrayList<>(locked);
        policyViolations.addAll(PolicyChecks.check(new PolicyChecks.Run(effective.getSpec(), profileName, queue,
                request.defaultImage()), request.policies()));
        return new Result(effective, profile, List.of(), List.copyOf(policyViolations),
                PolicyChecks.maxConcurrentRuns(request.policies()));
    }

    private static ObjectNode document(LoraFineTune run, ObjectNode spec) {
        ObjectNode document = JSON.createObjectNode();
        document.put("apiVersion", LoraFineTune.API_VERSION);
        document.put("kind", LoraFineTune.KIND);
        document.putObject("metadata").put("name", run.getMetadata().getName());
        document.set("spec", spec);
        return document;
    }

    /** The run's metadata; a profile's queue replaces the run's own queue label. */
    private static ObjectMeta metadata(LoraFineTune run, Profile profile) {
        ObjectMeta metadata = new ObjectMetaBuilder(run.getMetadata()).build();
        Map<String, String> labels = new LinkedHashMap<>();
        if (metadata.getLabels() != null) {
            labels.putAll(metadata.getLabels());
        }
        if (profile != null && profile.spec().queueName() != null) {
            labels.put(PolicyChecks.QUEUE_LABEL, profile.spec().queueName());
        }
        metadata.setLabels(labels);
        return metadata;
    }
}
