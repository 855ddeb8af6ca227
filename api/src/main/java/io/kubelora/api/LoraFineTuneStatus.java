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
        Progress progress) {

    public LoraFineTuneStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }
}
