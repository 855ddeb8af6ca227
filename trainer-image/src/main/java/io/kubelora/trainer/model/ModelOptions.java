package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.kubelora.api.LoraSpec;
import io.kubelora.api.Quantization;
import io.kubelora.api.QuantizationConfig;

/**
 * How to load a model for training or inference.
 *
 * @param device                where to compute; null picks the engine's default (the first GPU when present)
 * @param bf16Compute           products and attention in bf16, dense frozen weights held in bf16 ({@link Kernels});
 *                              everything else stays fp32
 * @param lora                  adapter to attach, null for none
 * @param quantization          how decoder linears are stored (NF4 = QLoRA)
 * @param quantizationConfig    NF4 settings, null for defaults
 * @param gradientCheckpointing recompute each decoder layer in backward instead of keeping its activations
 * @param seed                  seeds adapter init and dropout
 */
public record ModelOptions(Device device, boolean bf16Compute, LoraSpec lora, Quantization quantization,
                           QuantizationConfig quantizationConfig, boolean gradientCheckpointing, long seed) {

    public ModelOptions {
        quantization = quantization == null ? Quantization.NONE : quantization;
        quantizationConfig = quantizationConfig == null ? QuantizationConfig.defaults() : quantizationConfig;
    }

    /** fp32, unquantized, no checkpointing, on the default device. */
    public static ModelOptions defaults(LoraSpec lora, long seed) {
        return new ModelOptions(null, false, lora, Quantization.NONE, null, false, seed);
    }

    /** The device to use: the given one, or the engine's default. */
    public Device resolvedDevice() {
        return device != null ? device : Engine.getEngine("PyTorch").defaultDevice();
    }

    public ModelOptions withDevice(Device newDevice) {
        return new ModelOptions(newDevice, bf16Compute, lora, quantization, quantizationConfig,
                gradientCheckpointing, seed);
    }

    public ModelOptions withLora(LoraSpec newLora) {
        return new ModelOptions(device, bf16Compute, newLora, quantization, quantizationConfig,
                gradientCheckpointing, seed);
    }

    public ModelOptions withGradientCheckpointing(boolean enabled) {
        return new ModelOptions(device, bf16Compute, lora, quantization, quantizationConfig, enabled, seed);
    }
}
