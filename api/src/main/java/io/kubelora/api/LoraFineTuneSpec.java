package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.kubelora.api.crd.ListTypeMap;
import java.util.List;

/** What to fine-tune, on what data, how, on which hardware, and where the result goes. */
@JsonClassDescription("What to fine-tune (baseModel), on which data (dataset), how (lora, quantization, training), "
        + "on which hardware (resources) and where the results go (output, merge). Only baseModel, dataset and output "
        + "are required (or come from the profile); every other field has the default its description names.")
@JsonInclude(JsonInclude.Include.NON_NULL)
// With a profile, the fields below may come from its template: the operator checks the effective spec.
@ValidationRule(value = "has(self.baseModel) || has(self.profile)",
        message = "spec.baseModel is required unless spec.profile names a FineTuneProfile that sets it")
@ValidationRule(value = "has(self.dataset) || has(self.profile)",
        message = "spec.dataset is required unless spec.profile names a FineTuneProfile that sets it")
@ValidationRule(value = "has(self.output) || has(self.profile)",
        message = "spec.output is required unless spec.profile names a FineTuneProfile that sets it")
@ValidationRule(value = "has(self.profile) || (has(self.quantization) && self.quantization == 'nf4') "
        + "|| !has(self.quantizationConfig)",
        message = "spec.quantizationConfig is only allowed with spec.quantization: nf4")
@ValidationRule(value = "has(self.profile) || !has(self.merge) || !has(self.merge.enabled) || !self.merge.enabled "
        + "|| (has(self.merge.output) && has(self.merge.output.uri))",
        message = "spec.merge.output.uri is required when spec.merge.enabled is true")
@ValidationRule(value = "has(self.profile) || !has(self.training) || !has(self.training.evalEverySteps) "
        + "|| self.training.evalEverySteps == 0 || " + LoraFineTuneSpec.HAS_VALIDATION_DATA,
        message = "spec.training.evalEverySteps needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri")
@ValidationRule(value = "has(self.profile) || !has(self.training) || !has(self.training.earlyStopping) || "
        + LoraFineTuneSpec.HAS_VALIDATION_DATA,
        message = "spec.training.earlyStopping needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri")
@ValidationRule(value = "has(self.profile) || !has(self.training) || !has(self.training.keepBest) "
        + "|| !self.training.keepBest || " + LoraFineTuneSpec.HAS_VALIDATION_DATA,
        message = "spec.training.keepBest needs validation data: spec.dataset.validationSplit greater than 0 "
                + "or spec.dataset.validationUri")
@ValidationRule(value = "!has(self.output) || !self.output.uri.startsWith('hf://')",
        message = "spec.output.uri: hf:// is only supported for spec.merge.output.uri")
public record LoraFineTuneSpec(
        @JsonPropertyDescription("The base model to fine-tune: a Hugging Face model folder. Required unless the "
                + "profile sets it.")
        BaseModelSpec baseModel,

        @JsonPropertyDescription("The training data: a JSONL file in alpaca, dolly, chat, sharegpt or text format. "
                + "Required unless the profile sets it.")
        DatasetSpec dataset,

        @JsonPropertyDescription("LoRA adapter settings: rank, alpha, dropout and the modules to adapt.")
        LoraSpec lora,

        @JsonPropertyDescription("Quantization of the frozen base weights: none (LoRA) or nf4 (QLoRA: 4-bit "
                + "NormalFloat base, LoRA adapters in higher precision). Default none.")
        Quantization quantization,

        @JsonPropertyDescription("Settings of the nf4 quantization; only allowed with quantization: nf4.")
        QuantizationConfig quantizationConfig,

        @JsonPropertyDescription("Optimizer, schedule, batch size, precision, checkpointing, early stopping and "
                + "which adapter is delivered.")
        TrainingSpec training,

        @JsonPropertyDescription("Sample answers while training: prompts generated greedily at every evaluation and "
                + "at the end (samples.jsonl, the log and summary.json).")
        EvaluationSpec evaluation,

        @JsonPropertyDescription("Where results are written: adapter/ (PEFT format), metrics.jsonl, samples.jsonl, "
                + "summary.json, loss.png and checkpoints/. Required unless the profile sets it.")
        OutputSpec output,

        @JsonPropertyDescription("Optionally merge the trained adapter into the base weights and publish the "
                + "merged model.")
        MergeSpec merge,

        @JsonPropertyDescription("Cluster resources of the training pod: GPUs, memory, CPU and scheduling.")
        ResourcesSpec resources,

        @Size(max = SpecLimits.IMAGE_LENGTH)
        @JsonPropertyDescription("Trainer container image; overrides the operator's default trainer image.")
        String image,

        @Size(max = SpecLimits.NAME_LENGTH)
        @JsonPropertyDescription("Service account of the training pod. Default: the namespace's default "
                + "service account.")
        String serviceAccountName,

        @JsonPropertyDescription("Suspends the run: its pods are stopped until suspend is false again. "
                + "Default false.")
        Boolean suspend,

        @JsonPropertyDescription("References to Secrets holding object-storage and model-hub credentials. "
                + "Never put secret values in the spec.")
        CredentialsSpec credentials,

        @Min(0)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Retries of a failed training pod before the run is Failed; each retry resumes "
                + "from the last checkpoint. A pod stopped by a disruption (preemption, eviction, node drain or loss) "
                + "is replaced without counting, and a trainer exit code no retry can fix (invalid spec 2, bad data "
                + "3, unusable model 4, a memory plan larger than the GPU 5, out of GPU memory 7) fails the run at "
                + "once. Default 0.")
        Integer backoffLimit,

        @Min(1)
        @JsonPropertyDescription("Wall-clock limit of the run in seconds; exceeding it fails the run.")
        Long activeDeadlineSeconds,

        @Min(0)
        @Max(Integer.MAX_VALUE)
        @JsonPropertyDescription("Seconds after the run finishes before its Job and pods are deleted "
                + "(the LoraFineTune and its status stay).")
        Integer ttlSecondsAfterFinished,

        @Size(max = SpecLimits.ENV_ENTRIES)
        @JsonInclude(JsonInclude.Include.NON_EMPTY) // no env: [] in documents written back, nor in the spec hash
        @ListTypeMap(keys = "name")
        @JsonPropertyDescription("Plain environment variables of the trainer, e.g. HTTPS_PROXY or HF_ENDPOINT. Secret "
                + "values only through spec.credentials; names the trainer sets itself are refused. Entries of the "
                + "profile's template and of the run are merged by name, the run's winning.")
        List<EnvVarSpec> env,

        @Size(max = SpecLimits.NAME_LENGTH)
        @JsonPropertyDescription("Name of a FineTuneProfile (written by the cluster's administrators): its template "
                + "gives every field this spec leaves out; the fields it locks may not be set here. The trainer "
                + "runs the merged (effective) spec; status.profile records which profile version it was.")
        String profile) {

    /** CEL: the run has validation data (a spec without a dataset has none: another rule requires one). */
    static final String HAS_VALIDATION_DATA = "(has(self.dataset) && (has(self.dataset.validationUri) "
            + "|| (has(self.dataset.validationSplit) && self.dataset.validationSplit > 0.0)))";

    public LoraFineTuneSpec {
        lora = lora == null ? LoraSpec.defaults() : lora;
        quantization = quantization == null ? Quantization.NONE : quantization;
        quantizationConfig = quantizationConfig == null && quantization == Quantization.NF4
                ? QuantizationConfig.defaults() : quantizationConfig;
        training = training == null ? TrainingSpec.defaults() : training;
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
        merge = merge == null ? MergeSpec.disabled() : merge;
        resources = resources == null ? ResourcesSpec.defaults() : resources;
        suspend = suspend != null && suspend;
        backoffLimit = backoffLimit == null ? 0 : backoffLimit;
        env = env == null ? List.of() : List.copyOf(env);
    }

    /** A minimal spec: everything else takes its default. */
    public static LoraFineTuneSpec of(String baseModelUri, String datasetUri, String outputUri) {
        return new Builder().baseModel(new BaseModelSpec(baseModelUri)).dataset(DatasetSpec.of(datasetUri))
                .output(new OutputSpec(outputUri)).build();
    }

    /**
     * Whether the adapter of the best evaluation is delivered: training.keepBest, by default whenever there is
     * validation data.
     */
    @JsonIgnore
    public boolean keepsBest() {
        return training.keepBest() != null ? training.keepBest() : dataset != null && dataset.hasValidation();
    }

    /** A builder holding this spec's fields, to change some of them. */
    @JsonIgnore
    public Builder toBuilder() {
        return new Builder().baseModel(baseModel).dataset(dataset).lora(lora).quantization(quantization)
                .quantizationConfig(quantizationConfig).training(training).evaluation(evaluation).output(output)
                .merge(merge)
                .resources(resources).image(image).serviceAccountName(serviceAccountName).suspend(suspend)
                .credentials(credentials).backoffLimit(backoffLimit).activeDeadlineSeconds(activeDeadlineSeconds)
                .ttlSecondsAfterFinished(ttlSecondsAfterFinished).env(env).profile(profile);
    }

    /** Builds a spec field by field; a field left unset takes its default, as in a YAML file. */
    public static final class Builder {
        private BaseModelSpec baseModel;
        private DatasetSpec dataset;
        private LoraSpec lora;
        private Quantization quantization;
        private QuantizationConfig quantizationConfig;
        private TrainingSpec training;
        private EvaluationSpec evaluation;
        private OutputSpec output;
        private MergeSpec merge;
        private ResourcesSpec resources;
        private String image;
        private String serviceAccountName;
        private Boolean suspend;
        private CredentialsSpec credentials;
        private Integer backoffLimit;
        private Long activeDeadlineSeconds;
        private Integer ttlSecondsAfterFinished;
        private List<EnvVarSpec> env;
        private String profile;

        public Builder baseModel(BaseModelSpec value) {
            baseModel = value;
            return this;
        }

        public Builder dataset(DatasetSpec value) {
            dataset = value;
            return this;
        }

        public Builder lora(LoraSpec value) {
            lora = value;
            return this;
        }

        public Builder quantization(Quantization value) {
            quantization = value;
            return this;
        }

        public Builder quantizationConfig(QuantizationConfig value) {
            quantizationConfig = value;
            return this;
        }

        public Builder training(TrainingSpec value) {
            training = value;
            return this;
        }

        public Builder evaluation(EvaluationSpec value) {
            evaluation = value;
            return this;
        }

        public Builder output(OutputSpec value) {
            output = value;
            return this;
        }

        public Builder merge(MergeSpec value) {
            merge = value;
            return this;
        }

        public Builder resources(ResourcesSpec value) {
            resources = value;
            return this;
        }

        public Builder image(String value) {
            image = value;
            return this;
        }

        public Builder serviceAccountName(String value) {
            serviceAccountName = value;
            return this;
        }

        public Builder suspend(Boolean value) {
            suspend = value;
            return this;
        }

        public Builder credentials(CredentialsSpec value) {
            credentials = value;
            return this;
        }

        public Builder backoffLimit(Integer value) {
            backoffLimit = value;
            return this;
        }

        public Builder activeDeadlineSeconds(Long value) {
            activeDeadlineSeconds = value;
            return this;
        }

        public Builder ttlSecondsAfterFinished(Integer value) {
            ttlSecondsAfterFinished = value;
            return this;
        }

        public Builder env(List<EnvVarSpec> value) {
            env = value;
            return this;
        }

        public Builder profile(String value) {
            profile = value;
            return this;
        }

        public LoraFineTuneSpec build() {
            return new LoraFineTuneSpec(baseModel, dataset, lora, quantization, quantizationConfig, training,
                    evaluation, output, merge, resources, image, serviceAccountName, suspend, credentials, backoffLimit,
                    activeDeadlineSeconds, ttlSecondsAfterFinished, env, profile);
        }
    }
}
