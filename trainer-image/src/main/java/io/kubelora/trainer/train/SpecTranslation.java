package io.kubelora.trainer.train;

import ai.djl.Device;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.api.DatasetSpec;
import io.kubelora.api.EvaluationSpec;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraSpec;
import io.kubelora.api.MergeDtype;
import io.kubelora.api.MergeSpec;
import io.kubelora.api.Precision;
import io.kubelora.api.Quantization;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.api.TrainingSpec;
import io.kubelora.trainer.data.DataOptions;
import io.kubelora.trainer.data.DatasetFormat;
import io.kubelora.trainer.data.Prompt;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.memory.PlanSettings;
import io.kubelora.trainer.merge.MergeOptions;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.safetensors.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The LoraFineTune spec in the terms of the packages that do the work: model, adapter, data and merge options.
 * The only place where the CRD's settings meet them, so none of those packages depends on the CRD.
 */
public final class SpecTranslation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, Object>>> MESSAGES = new TypeReference<>() {
    };

    private SpecTranslation() {
    }

    /**
     * How to load the model on {@code device}: bf16 products for precision bf16, or auto on a GPU; NF4 base
     * linears for quantization nf4; dropout seeded by training.seed. On a GPU an untied embedding table stays in
     * host memory and training.offloadActivations moves the checkpointed layer inputs there too (on a CPU host
     * and device memory are the same).
     */
    public static ModelOptions modelOptions(LoraFineTuneSpec spec, Device device) {
        Precision precision = spec.training().precision();
        boolean gpu = device.isGpu();
        boolean bf16 = precision == Precision.BF16 || (precision == Precision.AUTO && gpu);
        boolean checkpointing = spec.training().gradientCheckpointing();
        ModelOptions options = ModelOptions.on(device)
                .withBf16Compute(bf16)
                .withGradientCheckpointing(checkpointing)
                .withOffloadActivations(gpu && checkpointing && spec.training().offloadActivations())
                .withEmbeddingOnHost(gpu)
                .withSeed(spec.training().seed());
        return spec.quantization() == Quantization.NF4
                ? options.withNf4(spec.quantizationConfig().doubleQuant()) : options;
    }

    /** Whether the optimizer's state lives in host memory: training.optimizerOffload, on a GPU. */
    public static boolean optimizerOffload(LoraFineTuneSpec spec, Device device) {
        return device.isGpu() && spec.training().optimizerOffload();
    }

    /**
     * What the memory planner needs of the run on {@code device}, with {@code replicas} data-parallel replicas:
     * the model options, the adapters, and micro-batches of training.batchSize sequences of up to
     * dataset.maxSeqLength tokens.
     */
    public static PlanSettings planSettings(LoraFineTuneSpec spec, Device device, int replicas) {
        LoraSpec lora = spec.lora();
        return new PlanSettings(modelOptions(spec, device), lora.rank(), lora.resolvedTargetModules(), lora.dropout(),
                spec.training().batchSize(), spec.dataset().maxSeqLength(),
                spec.training().gradientAccumulationSteps(), optimizerOffload(spec, device), replicas);
    }

    /**
     * Where a run computes and why: the --device override when given, else the GPUs the operator gave the pod
     * ({@link TrainerEnvironment#POD_GPUS}), else spec.resources.gpus. A request for GPUs is checked against what
     * libtorch can use before anything is downloaded; it never turns into a CPU run by itself.
     */
    public static DeviceRequest deviceRequest(LoraFineTuneSpec spec, Map<String, String> environment,
                                              String deviceOverride) {
        String cpuInstead = "to train on the CPU instead, set spec.resources.gpus: 0 or pass --device cpu";
        if (deviceOverride != null) {
            return DeviceRequest.parse(deviceOverride, "--device", cpuInstead);
        }
        String podGpus = environment.get(TrainerEnvironment.POD_GPUS);
        if (podGpus != null && !podGpus.isBlank()) {
            int gpus;
            try {
                gpus = Integer.parseInt(podGpus.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(TrainerEnvironment.POD_GPUS + " must be a GPU count, got '"
                        + podGpus + "'");
            }
            return DeviceRequest.gpus(gpus, "the pod has " + gpus + " GPU(s) (" + TrainerEnvironment.POD_GPUS + ")",
                    "run `trainer doctor` in the image on that node to see why, or set spec.resources.gpus: 0 to "
                            + "train on the CPU");
        }
        int gpus = spec.resources().gpus();
        return DeviceRequest.gpus(gpus, "resources.gpus is " + gpus, cpuInstead);
    }

    /** How a run computes, for its device line: "bf16 (training.precision auto)". */
    public static String computeDescription(LoraFineTuneSpec spec, ModelOptions options) {
        return (options.bf16Compute() ? "bf16" : "fp32") + (options.nf4() ? " over NF4 base weights" : "")
                + " (training.precision " + spec.training().precision().name().toLowerCase(Locale.ROOT) + ")";
    }

    /** The PEFT description of the adapter {@code lora} trains on {@code baseModel} (all-linear expanded). */
    public static PeftAdapterConfig adapterConfig(LoraSpec lora, String baseModel) {
        return new PeftAdapterConfig(baseModel, lora.rank(), lora.alpha(), lora.dropout(),
                lora.resolvedTargetModules(), lora.useRslora());
    }

    /** How the dataset becomes token sequences. */
    public static DataOptions dataOptions(DatasetSpec dataset) {
        return new DataOptions(DatasetFormat.valueOf(dataset.format().name()), dataset.validationSplit(),
                dataset.maxSeqLength(), dataset.packing());
    }

    /**
     * The evaluation prompts as given (a string is text the data's template writes, a list is a conversation); null
     * when none are given, so the validation examples' prompts are asked.
     */
    public static List<Prompt> prompts(EvaluationSpec evaluation) {
        if (evaluation.prompts() == null) {
            return null;
        }
        List<Prompt> prompts = new ArrayList<>();
        for (JsonNode prompt : evaluation.prompts()) {
            prompts.add(prompt.isTextual() ? new Prompt.Text(prompt.asText())
                    : new Prompt.Conversation(JSON.convertValue(prompt, MESSAGES)));
        }
        return prompts;
    }

    /** Best-evaluation tracking and training.earlyStopping, continuing from {@code resumed}. */
    public static EvalHistory evalHistory(TrainingSpec training, EvalHistory.State resumed) {
        return training.earlyStopping() == null ? new EvalHistory(null, 0, resumed)
                : new EvalHistory(training.earlyStopping().patience(), training.earlyStopping().minDelta(), resumed);
    }

    /** How the merged model is written. */
    public static MergeOptions mergeOptions(MergeSpec merge) {
        return MergeOptions.of(tensorDtype(merge.dtype()), merge.maxShardSize());
    }

    /** The safetensors dtype of a merged model's weights. */
    public static DType tensorDtype(MergeDtype dtype) {
        return switch (dtype) {
            case BF16 -> DType.BF16;
            case FP16 -> DType.F16;
            case FP32 -> DType.F32;
        };
    }
}
