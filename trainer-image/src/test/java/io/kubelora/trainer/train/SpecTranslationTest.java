package io.kubelora.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.kubelora.api.DatasetFormat;
import io.kubelora.api.DatasetSpec;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.LoraSpec;
import io.kubelora.api.MergeDtype;
import io.kubelora.api.Quantization;
import io.kubelora.api.QuantizationConfig;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.trainer.data.DataOptions;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.model.WeightNames;
import io.kubelora.trainer.safetensors.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec reaches model, adapter, data and merge options with every setting it carries. */
class SpecTranslationTest {

    @Test
    void rsLoraScalingAndAllLinearTargets() {
        PeftAdapterConfig c = SpecTranslation.adapterConfig(new LoraSpec(16, 32, 0.0, List.of("all-linear"), true), "m");
        assertEquals(8.0, c.scaling(), 1e-12);
        assertEquals(LoraSpec.LINEAR_MODULES, c.targetModules());
        assertEquals("m", c.baseModelNameOrPath());
    }

    @Test
    void theCrdAndTheModelNameTheSameLinearModules() {
        assertEquals(LoraSpec.LINEAR_MODULES, WeightNames.LINEAR_MODULES);
        PeftAdapterConfig some = SpecTranslation.adapterConfig(new LoraSpec(4, 8, 0.1, List.of("v_proj", "q_proj"),
                false), null);
        assertEquals(List.of("q_proj", "v_proj"), some.targetModules());
        assertEquals(0.1, some.dropout());
    }

    @Test
    void aRunTrainsWhereItsGpusSayUnlessDeviceOverridesIt() {
        LoraFineTuneSpec defaults = LoraFineTuneSpec.of("/m", "/d.jsonl", "/out");
        DeviceRequest spec = SpecTranslation.deviceRequest(defaults, Map.of(), null);
        assertEquals(0, spec.cudaIndex(), "resources.gpus defaults to 1");
        assertEquals(1, spec.gpusNeeded());
        assertEquals("resources.gpus is 1", spec.because());
        assertEquals("to train on the CPU instead, set spec.resources.gpus: 0 or pass --device cpu", spec.otherwise());

        LoraFineTuneSpec cpuSpec = LoraFineTuneYaml.parse("""
                apiVersion: kubelora.io/v1alpha1
                kind: LoraFineTune
                metadata: {name: cpu}
                spec:
                  baseModel: {uri: /m}
                  dataset: {uri: /d.jsonl}
                  output: {uri: /out}
                  resources: {gpus: 0}
                """, "cpu.yaml").getSpec();
        assertFalse(SpecTranslation.deviceRequest(cpuSpec, Map.of(), null).wantsGpu());
        assertEquals("resources.gpus is 0", SpecTranslation.deviceRequest(cpuSpec, Map.of(), null).because());

        DeviceRequest pod = SpecTranslation.deviceRequest(cpuSpec, Map.of(TrainerEnvironment.POD_GPUS, "2"), null);
        assertEquals(2, pod.gpusNeeded(), "in a pod the operator's count of the pod's GPUs decides");
        assertEquals("the pod has 2 GPU(s) (KUBELORA_POD_GPUS)", pod.because());
        assertEquals(2, pod.replicas(), "one data-parallel replica per GPU of the pod");
        assertEquals(1, spec.replicas());

        DeviceRequest override = SpecTranslation.deviceRequest(defaults, Map.of(TrainerEnvironment.POD_GPUS, "1"),
                "cpu");
        assertFalse(override.wantsGpu(), "--device cpu wins");
        assertEquals("--device cpu", override.because());
        assertEquals(1, SpecTranslation.deviceRequest(defaults, Map.of(), "cuda:1").cudaIndex());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> SpecTranslation.deviceRequest(defaults, Map.of(TrainerEnvironment.POD_GPUS, "two"), null));
        assertEquals("KUBELORA_POD_GPUS must be a GPU count, got 'two'", bad.getMessage());
    }

    @Test
    void theDeviceLineNamesPrecisionAndQuantization() {
        LoraFineTuneSpec defaults = LoraFineTuneSpec.of("/m", "/d.jsonl", "/out");
        assertEquals("bf16 (training.precision auto)", SpecTranslation.computeDescription(defaults,
                SpecTranslation.modelOptions(defaults, Device.gpu())));
        LoraFineTuneSpec qlora = defaults.toBuilder().quantization(Quantization.NF4).build();
        assertEquals("fp32 over NF4 base weights (training.precision auto)", SpecTranslation.computeDescription(qlora,
                SpecTranslation.modelOptions(qlora, Device.cpu())));
    }

    @Test
    void modelOptionsFollowPrecisionQuantizationCheckpointingAndSeed() {
        LoraFineTuneSpec defaults = LoraFineTuneSpec.of("/m", "/d.jsonl", "/out");
        ModelOptions cpu = SpecTranslation.modelOptions(defaults, Device.cpu());
        assertEquals(Device.cpu(), cpu.device());
        assertFalse(cpu.bf16Compute(), "precision auto is fp32 on a CPU");
        assertFalse(cpu.nf4());
        assertTrue(cpu.gradientCheckpointing());
        assertEquals(42, cpu.seed());
        assertTrue(SpecTranslation.modelOptions(defaults, Device.gpu()).bf16Compute(), "auto is bf16 on a GPU");

        LoraFineTuneSpec qlora = defaults.toBuilder().quantization(Quantization.NF4)
                .quantizationConfig(new QuantizationConfig(false)).build();
        ModelOptions nf4 = SpecTranslation.modelOptions(qlora, Device.cpu());
        assertTrue(nf4.nf4());
        assertFalse(nf4.nf4DoubleQuant());
    }

    @Test
    void dataAndMergeOptions() {
        DataOptions data = SpecTranslation.dataOptions(new DatasetSpec("/d.jsonl", DatasetFormat.CHAT, 0.25, null, 512, true));
        assertEquals(new DataOptions(io.kubelora.trainer.data.DatasetFormat.CHAT, 0.25, 512, true), data);
        assertEquals(DType.BF16, SpecTranslation.tensorDtype(MergeDtype.BF16));
        assertEquals(DType.F16, SpecTranslation.tensorDtype(MergeDtype.FP16));
        assertEquals(DType.F32, SpecTranslation.tensorDtype(MergeDtype.FP32));
    }
}
