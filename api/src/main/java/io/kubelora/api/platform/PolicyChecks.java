package io.kubelora.api.platform;

import io.kubelora.api.CredentialsSpec;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.Violation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The FineTunePolicies of a namespace checked on a run's effective spec: the operator's side of what the chart's
 * ValidatingAdmissionPolicy checks at admission, with the same messages (a test holds the two to one table of
 * cases). maxConcurrentRuns is no rule of a spec: the operator counts the namespace's runs itself.
 */
public final class PolicyChecks {

    /** One check: the spec field it is about and the policy field that sets it. */
    public record Rule(String field, String policyField) {

        /** Whether a violation was found by this rule. */
        public boolean found(Violation violation) {
            return violation.field().equals(field) && violation.message().contains("(" + policyField + ":");
        }
    }

    /** The label that submits a run's Job to a Kueue LocalQueue. */
    public static final String QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

    public static final Rule REQUIRE_PROFILE = new Rule("spec.profile", "requireProfile");
    public static final Rule PROFILES = new Rule("spec.profile", "allowedProfiles");
    public static final Rule BASE_MODELS = new Rule("spec.baseModel.uri", "allowedBaseModels");
    public static final Rule DATASETS = new Rule("spec.dataset.uri", "allowedDatasets");
    public static final Rule VALIDATION_DATA = new Rule("spec.dataset.validationUri", "allowedDatasets");
    public static final Rule OUTPUTS = new Rule("spec.output.uri", "allowedOutputs");
    public static final Rule MERGE_OUTPUTS = new Rule("spec.merge.output.uri", "allowedOutputs");
    public static final Rule IMAGES = new Rule("spec.image", "allowedImages");
    public static final Rule SERVICE_ACCOUNTS = new Rule("spec.serviceAccountName", "allowedServiceAccounts");
    public static final Rule STORAGE_SECRET = new Rule("spec.credentials.storageSecretName", "allowedSecrets");
    public static final Rule TOKEN_SECRET = new Rule("spec.credentials.huggingFaceToken.name", "allowedSecrets");
    public static final Rule GPUS = new Rule("spec.resources.gpus", "maxGpusPerRun");
    public static final Rule RANK = new Rule("spec.lora.rank", "maxRank");
    public static final Rule SEQ_LENGTH = new Rule("spec.dataset.maxSeqLength", "maxSeqLength");
    public static final Rule DEADLINE = new Rule("spec.activeDeadlineSeconds", "maxActiveDeadlineSeconds");
    public static final Rule QUEUE = new Rule("metadata.labels[" + QUEUE_LABEL + "]", "requireQueueName");
    public static final List<Rule> RULES = List.of(REQUIRE_PROFILE, PROFILES, BASE_MODELS, DATASETS, VALIDATION_DATA, OUTPUTS,
            MERGE_OUTPUTS, IMAGES, SERVICE_ACCOUNTS, STORAGE_SECRET, TOKEN_SECRET, GPUS, RANK, SEQ_LENGTH, DEADLINE,
            QUEUE);

    /**
     * What is checked: the effective spec, the profile the run names (its own spec.profile), the queue its Job
     * goes to (its label or its profile's), and the image a run without spec.image gets.
     */
    public record Run(LoraFineTuneSpec spec, String profile, String queueName, String defaultImage) {
    }

    private final List<Violation> violations = new ArrayList<>();
    private final String policy;

    private PolicyChecks(String policy) {
        this.policy = policy;
    }

    /** Every violation of every policy, policy by policy in name order. */
    public static List<Violation> check(Run run, List<FineTunePolicy> policies) {
        List<Violation> all = new ArrayList<>();
        for (FineTunePolicy p : sorted(policies)) {
            PolicyChecks checks = new PolicyChecks(p.getMetadata().getName());
            checks.check(run, p.getSpec() == null ? emptySpec() : p.getSpec());
            all.addAll(checks.violations);
        }
        return List.copyOf(all);
    }

    /** The deadline of a run that sets none: the shortest maxActiveDeadlineSeconds of the policies. */
    public static OptionalLong defaultDeadline(List<FineTunePolicy> policies) {
        return policies.stream().map(FineTunePolicy::getSpec).filter(Objects::nonNull)
                .map(FineTunePolicySpec::maxActiveDeadlineSeconds).filter(Objects::nonNull)
                .mapToLong(Long::longValue).min();
    }

    /** The namespace's limit of runs with a Job at a time: the lowest maxConcurrentRuns of the policies. */
    public static OptionalInt maxConcurrentRuns(List<FineTunePolicy> policies) {
        return policies.stream().map(FineTunePolicy::getSpec).filter(Objects::nonNull)
                .map(FineTunePolicySpec::maxConcurrentRuns).filter(Objects::nonNull)
                .mapToInt(Integer::intValue).min();
    }

    private void check(Run run, FineTunePolicySpec p) {
        LoraFineTuneSpec spec = run.spec();
        if (Boolean.TRUE.equals(p.requireProfile()) && run.profile() == null) {
            required(REQUIRE_PROFILE);
        }
        if (run.profile() != null) {
            named(PROFILES, run.profile(), p.allowedProfiles());
        }
        prefixed(BASE_MODELS, spec.baseModel() == null ? null : spec.baseModel().uri(), p.allowedBaseModels());
        prefixed(DATASETS, spec.dataset() == null ? null : spec.dataset().uri(), p.allowedDatasets());
        prefixed(VALIDATION_DATA, spec.dataset() == null ? null : spec.dataset().validationUri(),
                p.allowedDatasets());
        prefixed(OUTPUTS, spec.output() == null ? null : spec.output().uri(), p.allowedOutputs());
        prefixed(MERGE_OUTPUTS, spec.merge().output() == null ? null : spec.merge().output().uri(),
                p.allowedOutputs());
        image(spec.image(), run.defaultImage(), p.allowedImages());
        named(SERVICE_ACCOUNTS, spec.serviceAccountName(), p.allowedServiceAccounts());
        CredentialsSpec credentials = spec.credentials();
        if (credentials != null) {
            named(STORAGE_SECRET, credentials.storageSecretName(), p.allowedSecrets());
            named(TOKEN_SECRET, credentials.huggingFaceToken() == null ? null
                    : credentials.huggingFaceToken().getName(), p.allowedSecrets());
        }
        atMost(GPUS, spec.resources().gpus(), p.maxGpusPerRun());
        atMost(RANK, spec.lora().rank(), p.maxRank());
        atMost(SEQ_LENGTH, spec.dataset() == null ? null : spec.dataset().maxSeqLength(), p.maxSeqLength());
        atMost(DEADLINE, spec.activeDeadlineSeconds(), p.maxActiveDeadlineSeconds());
        if (Boolean.TRUE.equals(p.requireQueueName()) && run.queueName() == null) {
            required(QUEUE);
        }
    }

    private void image(String image, String defaultImage, List<String> allowed) {
        if (image == null) {
            return;
        }
        if (allowed != null && !allowed.isEmpty()) {
            prefixed(IMAGES, image, allowed);
        } else if (!image.equals(defaultImage)) {
            fail(IMAGES, "'" + image + "' is not allowed by FineTunePolicy " + policy
                    + " (allowedImages: none, only the default trainer image)");
        }
    }

    private void prefixed(Rule rule, String value, List<String> allowed) {
        if (value != null && allowed != null && allowed.stream().noneMatch(value::startsWith)) {
            notAllowed(rule, value, allowed);
        }
    }

    private void named(Rule rule, String value, List<String> allowed) {
        if (value != null && allowed != null && !allowed.contains(value)) {
            notAllowed(rule, value, allowed);
        }
    }

    private void atMost(Rule rule, Number value, Number max) {
        if (value != null && max != null && value.longValue() > max.longValue()) {
            fail(rule, value + " is more than FineTunePolicy " + policy + " allows (" + rule.policyField() + ": "
                    + max + ")");
        }
    }

    private void required(Rule rule) {
        fail(rule, "is required by FineTunePolicy " + policy + " (" + rule.policyField() + ": true)");
    }

    private void notAllowed(Rule rule, String value, List<String> allowed) {
        fail(rule, "'" + value + "' is not allowed by FineTunePolicy " + policy + " (" + rule.policyField() + ": "
                + (allowed.isEmpty() ? "none" : String.join(", ", allowed)) + ")");
    }

    private void fail(Rule rule, String message) {
        violations.add(new Violation(rule.field(), message));
    }

    private static List<FineTunePolicy> sorted(List<FineTunePolicy> policies) {
        return policies.stream().sorted(Comparator.comparing((Function<FineTunePolicy, String>)
                p -> p.getMetadata().getName())).toList();
    }

    private static FineTunePolicySpec emptySpec() {
        return new FineTunePolicySpec(null, null, null, null, null, null, null, null, null, null, null, null, null,
                null);
    }
}
