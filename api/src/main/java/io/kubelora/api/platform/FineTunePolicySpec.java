package io.kubelora.api.platform;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.kubelora.api.SpecLimits;
import java.util.List;

/**
 * The guardrails of a namespace. A list left out does not restrict; a list given, even empty, allows only what it
 * names (allowedImages excepted: left out or empty, only the operator's default trainer image may run). Lists are
 * kept as written (null when left out): that difference is the policy's meaning.
 */
@JsonClassDescription("What the runs of this namespace may use: profiles, storage locations, images, service "
        + "accounts and Secrets, and how much: GPUs, rank, sequence length, deadline, runs at a time.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FineTunePolicySpec(
        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("FineTuneProfiles the runs may name in spec.profile.")
        List<@Size(max = SpecLimits.NAME_LENGTH) String> allowedProfiles,

        @JsonPropertyDescription("Every run must name a FineTuneProfile in spec.profile. Default false.")
        Boolean requireProfile,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Prefixes spec.baseModel.uri must start with, e.g. hf://meta-llama/ or "
                + "s3://team-a-models/ (end a bucket or folder with / so that s3://team-a does not also allow "
                + "s3://team-another).")
        List<@Size(max = SpecLimits.URI_LENGTH) String> allowedBaseModels,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Prefixes spec.dataset.uri and spec.dataset.validationUri must start with.")
        List<@Size(max = SpecLimits.URI_LENGTH) String> allowedDatasets,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Prefixes spec.output.uri and spec.merge.output.uri must start with.")
        List<@Size(max = SpecLimits.URI_LENGTH) String> allowedOutputs,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Prefixes spec.image must start with, e.g. registry.example.com/ml/. Left out or "
                + "empty: runs may not name an image, only the operator's default trainer image runs (a custom "
                + "image could read the Secrets a run may use).")
        List<@Size(max = SpecLimits.IMAGE_LENGTH) String> allowedImages,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Service accounts spec.serviceAccountName may name; a run that names none runs "
                + "under the namespace's default service account.")
        List<@Size(max = SpecLimits.NAME_LENGTH) String> allowedServiceAccounts,

        @Size(max = SpecLimits.POLICY_ENTRIES)
        @JsonPropertyDescription("Secrets spec.credentials may reference (storageSecretName, huggingFaceToken.name).")
        List<@Size(max = SpecLimits.NAME_LENGTH) String> allowedSecrets,

        @Min(0)
        @Max(16)
        @JsonPropertyDescription("Most GPUs one run may ask for (spec.resources.gpus, default 1).")
        Integer maxGpusPerRun,

        @Min(1)
        @Max(1024)
        @JsonPropertyDescription("Highest spec.lora.rank (default 16).")
        Integer maxRank,

        @Min(16)
        @Max(131072)
        @JsonPropertyDescription("Longest spec.dataset.maxSeqLength (default 2048).")
        Integer maxSeqLength,

        @Min(1)
        @JsonPropertyDescription("Longest spec.activeDeadlineSeconds; also the deadline of a run that sets none.")
        Long maxActiveDeadlineSeconds,

        @Min(1)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Most runs of the namespace with a training Job at a time (running, queued in Kueue "
                + "or suspended, until they finish). A run over the limit waits, Pending with reason "
                + "WaitingForQuota and without a Job, until another finishes. Enforced by the operator only.")
        Integer maxConcurrentRuns,

        @JsonPropertyDescription("Every run must go through a Kueue queue: its label kueue.x-k8s.io/queue-name, or "
                + "its profile's queueName. Default false.")
        Boolean requireQueueName) {
}
