package io.kubelora.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every rule of the CRD schema and its CEL rules, checked in Java, with the bounds of {@link SpecLimits}. The
 * operator runs it before creating anything (old clusters may not enforce CEL) and the trainer runs it on
 * local files.
 */
public final class SpecValidator {

    private static final Set<String> READ_SCHEMES = Set.of("s3", "hf", "pvc", "file");
    private static final Set<String> WRITE_SCHEMES = Set.of("s3", "pvc", "file");
    private static final String ALLOWED_MODULES =
            LoraSpec.ALL_LINEAR + ", " + String.join(", ", LoraSpec.LINEAR_MODULES);
    private static final Set<String> PROMPT_ROLES = Set.of("system", "user", "assistant", "tool");
    private static final String NEEDS_VALIDATION = "needs validation data: spec.dataset.validationSplit greater than 0 "
            + "or spec.dataset.validationUri";

    /** How much of a spec is checked: a run's, one completed by its profile's template, or a template. */
    private enum Scope {
        /** A run's own spec: everything. */
        WHOLE,
        /** A run naming a profile: the template may give whole sections, so none is required at the top. */
        PROFILED_RUN,
        /** A FineTuneProfile's template: only the values it sets; the run completes it. */
        TEMPLATE
    }

    private final List<Violation> violations = new ArrayList<>();
    private final Scope scope;

    private SpecValidator(Scope scope) {
        this.scope = scope;
    }

    /** All violations of the spec; empty when it may run. */
    public static List<Violation> validate(LoraFineTuneSpec spec) {
        if (spec == null) {
            return List.of(new Violation("spec", "is required"));
        }
        SpecValidator v = new SpecValidator(spec.profile() == null ? Scope.WHOLE : Scope.PROFILED_RUN);
        v.check(spec);
        return List.copyOf(v.violations);
    }

    /**
     * The violations of a part of a spec, a FineTuneProfile's template: each field it sets is checked, but none is
     * required and no rule across fields applies (the run's own fields complete it).
     */
    public static List<Violation> validatePart(LoraFineTuneSpec part) {
        SpecValidator v = new SpecValidator(Scope.TEMPLATE);
        v.check(part);
        return List.copyOf(v.violations);
    }

    /** Throws {@link InvalidSpecException} naming every violation. */
    public static void requireValid(String source, LoraFineTuneSpec spec) {
        List<Violation> found = validate(spec);
        if (!found.isEmpty()) {
            throw new InvalidSpecException(source, found);
        }
    }

    private void check(LoraFineTuneSpec spec) {
        boolean whole = scope == Scope.WHOLE;
        if (spec.baseModel() == null) {
            required("spec.baseModel", whole);
        } else {
            uri("spec.baseModel.uri", spec.baseModel().uri(), READ_SCHEMES);
        }
        if (spec.dataset() == null) {
            required("spec.dataset", whole);
        } else {
            checkDataset(spec.dataset());
        }
        checkLora(spec.lora());
        if (whole && spec.quantizationConfig() != null && spec.quantization() != Quantization.NF4) {
            fail("spec.quantizationConfig", "is only allowed with spec.quantization: nf4 (quantization is "
                    + spec.quantization().name().toLowerCase() + ")");
        }
        checkTraining(spec.training(), whole ? spec.dataset() : null);
        checkEvaluation(spec.evaluation());
        if (spec.output() == null) {
            required("spec.output", whole);
        } else {
            uri("spec.output.uri", spec.output().uri(), WRITE_SCHEMES);
        }
        checkMerge(spec.merge(), whole);
        checkEnv(spec.env());
        length("spec.profile", spec.profile(), SpecLimits.NAME_LENGTH);
        checkResources(spec.resources());
        length("spec.image", spec.image(), SpecLimits.IMAGE_LENGTH);
        length("spec.serviceAccountName", spec.serviceAccountName(), SpecLimits.NAME_LENGTH);
        if (spec.credentials() != null) {
            length("spec.credentials.storageSecretName", spec.credentials().storageSecretName(),
                    SpecLimits.NAME_LENGTH);
        }
        if (spec.backoffLimit() < 0) {
            fail("spec.backoffLimit", "must be at least 0 (was " + spec.backoffLimit() + ")");
        }
        if (spec.activeDeadlineSeconds() != null && spec.activeDeadlineSeconds() < 1) {
            fail("spec.activeDeadlineSeconds", "must be at least 1 (was " + spec.activeDeadlineSeconds() + ")");
        }
        if (spec.ttlSecondsAfterFinished() != null && spec.ttlSecondsAfterFinished() < 0) {
            fail("spec.ttlSecondsAfterFinished", "must be at least 0 (was " + spec.ttlSecondsAfterFinished() + ")");
        }
    }

    private void required(String field, boolean whole) {
        if (whole) {
            fail(field, "is required (or a spec.profile whose template sets it)");
        }
    }

    /** In a template nothing is required: the run gives the rest. */
    private boolean partOfATemplate() {
        return scope == Scope.TEMPLATE;
    }

    private void checkDataset(DatasetSpec dataset) {
        uri("spec.dataset.uri", dataset.uri(), READ_SCHEMES);
        range("spec.dataset.validationSplit", dataset.validationSplit(), 0.0, 0.5);
        range("spec.dataset.maxSeqLength", dataset.maxSeqLength(), 16, 131072);
        if (dataset.validationUri() != null) {
            uri("spec.dataset.validationUri", dataset.validationUri(), READ_SCHEMES);
            if (dataset.validationSplit() > 0.0) {
                fail("spec.dataset", "set validationSplit or validationUri, not both");
            }
        }
    }

    private void checkLora(LoraSpec lora) {
        range("spec.lora.rank", lora.rank(), 1, 1024);
        range("spec.lora.alpha", lora.alpha(), 1, 65536);
        range("spec.lora.dropout", lora.dropout(), 0.0, 0.9);
        List<String> modules = lora.targetModules();
        if (modules.isEmpty()) {
            fail("spec.lora.targetModules", "must name at least one module; allowed: " + ALLOWED_MODULES);
            return;
        }
        count("spec.lora.targetModules", modules.size(), SpecLimits.TARGET_MODULES, "items");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < modules.size(); i++) {
            String name = modules.get(i);
            String field = "spec.lora.targetModules[" + i + "]";
            if (!LoraSpec.ALL_LINEAR.equals(name) && !LoraSpec.LINEAR_MODULES.contains(name)) {
                fail(field, "unknown module '" + name + "'; allowed: " + ALLOWED_MODULES);
            } else if (!seen.add(name)) {
                fail(field, "'" + name + "' is listed twice");
            }
        }
        if (modules.contains(LoraSpec.ALL_LINEAR) && modules.size() > 1) {
            fail("spec.lora.targetModules", "all-linear cannot be combined with other module names");
        }
    }

    private void checkTraining(TrainingSpec t, DatasetSpec dataset) {
        range("spec.training.epochs", t.epochs(), 1, 1000);
        if (t.maxSteps() != null) {
            range("spec.training.maxSteps", t.maxSteps(), 1, Integer.MAX_VALUE);
        }
        if (!(t.learningRate() > 0.0 && t.learningRate() <= 1.0)) {
            fail("spec.training.learningRate", "must be greater than 0 and at most 1 (was " + t.learningRate() + ")");
        }
        range("spec.training.batchSize", t.batchSize(), 1, 4096);
        range("spec.training.gradientAccumulationSteps", t.gradientAccumulationSteps(), 1, 4096);
        range("spec.training.warmupRatio", t.warmupRatio(), 0.0, 1.0);
        range("spec.training.weightDecay", t.weightDecay(), 0.0, 1.0);
        range("spec.training.maxGradNorm", t.maxGradNorm(), 0.0, Double.MAX_VALUE);
        range("spec.training.logEverySteps", t.logEverySteps(), 1, Integer.MAX_VALUE);
        range("spec.training.evalEverySteps", t.evalEverySteps(), 0, Integer.MAX_VALUE);
        range("spec.training.checkpointEverySteps", t.checkpointEverySteps(), 0, Integer.MAX_VALUE);
        range("spec.training.checkpointsToKeep", t.checkpointsToKeep(), 1, Integer.MAX_VALUE);
        boolean validation = dataset == null || dataset.hasValidation();
        if (t.evalEverySteps() > 0 && !validation) {
            fail("spec.training.evalEverySteps", NEEDS_VALIDATION);
        }
        if (t.earlyStopping() != null) {
            range("spec.training.earlyStopping.patience", t.earlyStopping().patience(), 1, 1000);
            range("spec.training.earlyStopping.minDelta", t.earlyStopping().minDelta(), 0.0, Double.MAX_VALUE);
            if (!validation) {
                fail("spec.training.earlyStopping", NEEDS_VALIDATION);
            }
        }
        if (Boolean.TRUE.equals(t.keepBest()) && !validation) {
            fail("spec.training.keepBest", NEEDS_VALIDATION);
        }
        if (t.offloadActivations() && !t.gradientCheckpointing()) {
            fail("spec.training.offloadActivations", "needs spec.training.gradientCheckpointing (the layer inputs it "
                    + "keeps are what is offloaded)");
        }
    }

    private void checkEvaluation(EvaluationSpec evaluation) {
        range("spec.evaluation.maxNewTokens", evaluation.maxNewTokens(), 1, 4096);
        List<JsonNode> prompts = evaluation.prompts();
        if (prompts == null) {
            return;
        }
        count("spec.evaluation.prompts", prompts.size(), SpecLimits.EVALUATION_PROMPTS, "items");
        for (int i = 0; i < prompts.size(); i++) {
            String field = "spec.evaluation.prompts[" + i + "]";
            JsonNode prompt = prompts.get(i);
            if (prompt != null && prompt.isTextual()) {
                if (prompt.asText().isBlank()) {
                    fail(field, "is empty");
                } else {
                    length(field, prompt.asText(), SpecLimits.PROMPT_LENGTH);
                }
            } else if (prompt != null && prompt.isArray()) {
                checkMessages(field, prompt);
            } else {
                fail(field, "must be a string or a list of {role, content} messages");
            }
        }
    }

    private void checkMessages(String field, JsonNode messages) {
        if (messages.isEmpty()) {
            fail(field, "is an empty list of messages");
            return;
        }
        count(field, messages.size(), SpecLimits.PROMPT_MESSAGES, "messages");
        for (int m = 0; m < messages.size(); m++) {
            String at = field + "[" + m + "]";
            JsonNode message = messages.get(m);
            if (!message.isObject() || !message.path("role").isTextual() || !message.path("content").isTextual()
                    || message.size() != 2) {
                fail(at, "must be a message {role, content} with two strings and nothing else");
            } else if (!PROMPT_ROLES.contains(message.get("role").asText())) {
                fail(at + ".role", "must be one of system, user, assistant or tool (was '"
                        + message.get("role").asText() + "')");
            } else {
                length(at + ".content", message.get("content").asText(), SpecLimits.PROMPT_LENGTH);
            }
        }
        if ("assistant".equals(messages.get(messages.size() - 1).path("role").asText())) {
            fail(field, "ends with an assistant message: the last message is the one the model answers");
        }
    }

    private void checkMerge(MergeSpec merge, boolean whole) {
        if (merge.enabled() && (merge.output() == null || blank(merge.output().uri()))) {
            if (whole) {
                fail("spec.merge.output.uri", "is required when spec.merge.enabled is true");
            }
        } else if (merge.output() != null) {
            uri("spec.merge.output.uri", merge.output().uri(), Set.of("s3", "pvc", "file", "hf"));
        }
        if (length("spec.merge.maxShardSize", merge.maxShardSize(), SpecLimits.QUANTITY_LENGTH)
                && !merge.maxShardSize().matches(MergeSpec.SHARD_SIZE_PATTERN)) {
            fail("spec.merge.maxShardSize", "must be a size like 5GB, 500MB or 2GiB (was '"
                    + merge.maxShardSize() + "')");
        }
    }

    private void checkEnv(List<EnvVarSpec> env) {
        count("spec.env", env.size(), SpecLimits.ENV_ENTRIES, "items");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < env.size(); i++) {
            EnvVarSpec variable = env.get(i);
            String field = "spec.env[" + i + "]";
            if (variable == null || blank(variable.name())) {
                fail(field + ".name", "is required");
                continue;
            }
            String name = variable.name();
            if (!length(field + ".name", name, SpecLimits.ENV_NAME_LENGTH)) {
                continue;
            }
            if (!name.matches(EnvVarSpec.NAME_PATTERN)) {
                fail(field + ".name", "'" + name + "' is not a variable name: letters, digits and '_', not "
                        + "starting with a digit");
            } else if (EnvVarSpec.isReserved(name)) {
                fail(field + ".name", name + " may not be set: the trainer sets it itself, or it would change "
                        + "the code the trainer runs or the GPUs it sees (" + EnvVarSpec.RESERVED + ")");
            } else if (!seen.add(name)) {
                fail(field + ".name", "'" + name + "' is listed twice");
            }
            length(field + ".value", variable.value(), SpecLimits.ENV_VALUE_LENGTH);
        }
    }

    private void checkResources(ResourcesSpec r) {
        range("spec.resources.gpus", r.gpus(), 0, 16);
        quantity("spec.resources.memory", r.memory());
        quantity("spec.resources.cpu", r.cpu());
        if (length("spec.resources.gpuResourceName", r.gpuResourceName(), SpecLimits.QUALIFIED_NAME_LENGTH)
                && r.gpuResourceName() != null && !r.gpuResourceName().matches(ResourcesSpec.GPU_RESOURCE_PATTERN)) {
            fail("spec.resources.gpuResourceName", "must be an extended resource name like nvidia.com/gpu (was '"
                    + r.gpuResourceName() + "')");
        }
        length("spec.resources.priorityClassName", r.priorityClassName(), SpecLimits.NAME_LENGTH);
        count("spec.resources.tolerations", r.tolerations().size(), SpecLimits.TOLERATIONS, "items");
        count("spec.resources.nodeSelector", r.nodeSelector().size(), SpecLimits.NODE_SELECTOR_ENTRIES, "entries");
        for (Map.Entry<String, String> label : r.nodeSelector().entrySet()) {
            String field = "spec.resources.nodeSelector[" + label.getKey() + "]";
            if (label.getKey().length() > SpecLimits.QUALIFIED_NAME_LENGTH) {
                fail("spec.resources.nodeSelector", "label keys must be at most " + SpecLimits.QUALIFIED_NAME_LENGTH
                        + " characters (one has " + label.getKey().length() + ")");
            } else {
                length(field, label.getValue(), SpecLimits.LABEL_VALUE_LENGTH);
            }
        }
        quantity("spec.resources.ephemeralStorage", r.ephemeralStorage());
        String claim = r.modelCacheClaimName();
        if (length("spec.resources.modelCacheClaimName", claim, SpecLimits.NAME_LENGTH) && claim != null
                && !claim.matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")) {
            fail("spec.resources.modelCacheClaimName", "must be a PersistentVolumeClaim name: lower-case letters, "
                    + "digits, '-' and '.' (was '" + claim + "')");
        }
    }

    private void quantity(String field, Quantity value) {
        if (value == null || !length(field, value.toString(), SpecLimits.QUANTITY_LENGTH)) {
            return;
        }
        String text = value.toString();
        if (!QuantitySyntax.isQuantity(text)) {
            fail(field, "must be a quantity like 32Gi, 500m or 4 (was '" + text + "')");
        } else if (QuantitySyntax.sign(text) <= 0) {
            fail(field, "must be a positive quantity like 32Gi or 4 (was '" + text + "')");
        }
    }

    /** True when the text is absent or short enough; otherwise a violation naming the field. */
    private boolean length(String field, String value, int max) {
        if (value != null && value.length() > max) {
            fail(field, "must be at most " + max + " characters (was " + value.length() + ")");
            return false;
        }
        return true;
    }

    private void count(String field, int size, int max, String unit) {
        if (size > max) {
            fail(field, "must have at most " + max + " " + unit + " (has " + size + ")");
        }
    }

    private void uri(String field, String value, Set<String> schemes) {
        if (blank(value)) {
            if (!partOfATemplate()) {
                fail(field, "is required");
            }
            return;
        }
        if (!length(field, value, SpecLimits.URI_LENGTH)) {
            return;
        }
        int colon = value.indexOf("://");
        if (colon < 0) {
            return; // a plain local path
        }
        String scheme = value.substring(0, colon);
        if (!schemes.contains(scheme)) {
            fail(field, "scheme '" + scheme + "://' is not supported here; use one of "
                    + schemes.stream().sorted().map(s -> s + "://").toList() + " or a local path");
            return;
        }
        try {
            URI parsed = new URI(value.replace(" ", "%20"));
            if (!scheme.equals("file") && (parsed.getAuthority() == null || parsed.getAuthority().isBlank())) {
                fail(field, "'" + value + "' names no " + (scheme.equals("s3") ? "bucket"
                        : scheme.equals("pvc") ? "claim" : "repository"));
            }
        } catch (Exception e) {
            fail(field, "'" + value + "' is not a valid URI: " + e.getMessage());
        }
    }

    private void range(String field, Number value, double min, double max) {
        double v = value.doubleValue();
        if (Double.isNaN(v) || v < min || v > max) {
            String hi = max == Integer.MAX_VALUE || max == Double.MAX_VALUE ? "" : " and at most " + format(max);
            fail(field, "must be at least " + format(min) + hi + " (was " + value + ")");
        }
    }

    private static String format(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private void fail(String field, String message) {
        violations.add(new Violation(field, message));
    }
}
