package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the cluster says about a run; written only by the operator. */
@JsonClassDescription("The run as the operator observes it: phase, conditions, live progress and where the results "
        + "are. Written only by the operator.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LoraFineTuneStatus(
        @JsonPropertyDescription("Pending, Running, Merging, Succeeded, Failed or Suspended.")
        Phase phase,

        @JsonPropertyDescription("Ready, Reconciling and Stalled (kstatus) plus Validated, Trained and Merged.")
        List<Condition> conditions,

        @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,

        @JsonPropertyDescription("Name of the training Job.")
        String jobName,

        @JsonPropertyDescription("When the training pod started (RFC 3339).")
        String startTime,

        @JsonPropertyDescription("When the run finished (RFC 3339).")
        String completionTime,

        @JsonPropertyDescription("Location of the complete PEFT adapter (adapter_config.json and "
                + "adapter_model.safetensors).")
        String adapterUri,

        @JsonPropertyDescription("Location of the complete merged model, when merge is enabled.")
        String mergedModelUri,

        @JsonPropertyDescription("Human-readable summary of the current state or of the failure.")
        String message,

        @JsonPropertyDescription("Live training progress.")
        Progress progress,

        @JsonPropertyDescription("The FineTuneProfile the effective spec was made from, when spec.profile names one.")
        ProfileReference profile,

        @JsonPropertyDescription("GPU time of the run: the GPUs of each training pod times the time it held them "
                + "(from its start until its trainer ended), summed over every pod of the Job, retried ones "
                + "included. Kept up to date about once a minute while a pod runs.")
        Long gpuSeconds,

        @JsonPropertyDescription("When gpuSeconds was last brought up to date (RFC 3339); it counts on from there.")
        String gpuSecondsObservedAt) {

    public LoraFineTuneStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }

    /** Builds a status field by field; a field left unset is not reported. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a status field by field; a field left unset is not reported. */
    public static final class Builder {
        private Phase phase;
        private List<Condition> conditions;
        private Long observedGeneration;
        private String jobName;
        private String startTime;
        private String completionTime;
        private String adapterUri;
        private String mergedModelUri;
        private String message;
        private Progress progress;
        private ProfileReference profile;
        private Long gpuSeconds;
        private String gpuSecondsObservedAt;

        private Builder() {
        }

        public Builder phase(Phase value) {
            phase = value;
            return this;
        }

        public Builder conditions(List<Condition> value) {
            conditions = value;
            return this;
        }

        public Builder observedGeneration(Long value) {
            observedGeneration = value;
            return this;
        }

        public Builder jobName(String value) {
            jobName = value;
            return this;
        }

        public Builder startTime(String value) {
            startTime = value;
            return this;
        }

        public Builder completionTime(String value) {
            completionTime = value;
            return this;
        }

        public Builder adapterUri(String value) {
            adapterUri = value;
            return this;
        }

        public Builder mergedModelUri(String value) {
            mergedModelUri = value;
            return this;
        }

        public Builder message(String value) {
            message = value;
            return this;
        }

        public Builder progress(Progress value) {
            progress = value;
            return this;
        }

        public Builder profile(ProfileReference value) {
            profile = value;
            return this;
        }

        public Builder gpuSeconds(Long value) {
            gpuSeconds = value;
            return this;
        }

        public Builder gpuSecondsObservedAt(String value) {
            gpuSecondsObservedAt = value;
            return this;
        }

        public LoraFineTuneStatus build() {
            return new LoraFineTuneStatus(phase, conditions, observedGeneration, jobName, startTime, completionTime,
                    adapterUri, mergedModelUri, message, progress, profile, gpuSeconds, gpuSecondsObservedAt);
        }
    }
}
