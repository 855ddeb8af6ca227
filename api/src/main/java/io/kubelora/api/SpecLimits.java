package io.kubelora.api;

/**
 * Upper bounds of every string, list and map of the spec, far above anything a real run needs. The CRD carries
 * them (maxLength, maxItems, maxProperties: the API server estimates the worst-case cost of the CEL rules from
 * them and refuses a CRD whose rules could read unbounded data) and {@link SpecValidator} enforces the same
 * numbers, so a file run locally and a resource applied to a cluster meet the same limits.
 */
public final class SpecLimits {

    /** A storage location; PATH_MAX on Linux (S3 keys are at most 1024 bytes, Hub repository ids 96). */
    public static final int URI_LENGTH = 4096;
    /** A Kubernetes object name (DNS subdomain): Secrets, service accounts, PriorityClasses. */
    public static final int NAME_LENGTH = 253;
    /** A qualified name: DNS subdomain prefix (253), '/', name (63); resource names and label keys. */
    public static final int QUALIFIED_NAME_LENGTH = 317;
    /** A label value. */
    public static final int LABEL_VALUE_LENGTH = 63;
    /** A container image reference: registry, repository, tag and digest. */
    public static final int IMAGE_LENGTH = 1024;
    /** A Kubernetes quantity (32Gi, 500m) or a shard size (5GB). */
    public static final int QUANTITY_LENGTH = 64;
    /** A name of spec.lora.targetModules. */
    public static final int MODULE_NAME_LENGTH = 32;
    /** Entries of spec.lora.targetModules: all-linear and the seven decoder linears. */
    public static final int TARGET_MODULES = 8;
    /** Entries of spec.resources.nodeSelector. */
    public static final int NODE_SELECTOR_ENTRIES = 64;
    /** Entries of spec.resources.tolerations. */
    public static final int TOLERATIONS = 64;
    /** Entries of spec.env. */
    public static final int ENV_ENTRIES = 64;
    /** The name of an environment variable. */
    public static final int ENV_NAME_LENGTH = 128;
    /** The value of an environment variable. */
    public static final int ENV_VALUE_LENGTH = 4096;
    /** Entries of each list of a FineTunePolicy and of a FineTuneProfile's locked paths. */
    public static final int POLICY_ENTRIES = 64;
    /** A spec path such as spec.resources.gpus. */
    public static final int SPEC_PATH_LENGTH = 128;
    /** A FineTuneProfile's description. */
    public static final int DESCRIPTION_LENGTH = 1024;
    /** Image pull Secrets of a FineTuneProfile. */
    public static final int IMAGE_PULL_SECRETS = 16;
    /** Entries of spec.evaluation.prompts (each answered at every evaluation). */
    public static final int EVALUATION_PROMPTS = 32;
    /** Characters of one evaluation prompt, or of one message of a chat prompt. */
    public static final int PROMPT_LENGTH = 16384;
    /** Messages of one chat prompt of spec.evaluation.prompts. */
    public static final int PROMPT_MESSAGES = 64;

    private SpecLimits() {
    }
}
