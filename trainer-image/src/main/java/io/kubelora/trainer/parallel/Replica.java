package io.kubelora.trainer.parallel;

import ai.djl.Device;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.CausalLm;

/**
 * One data-parallel replica: its own copy of the frozen base model, on its own device and in its own NDManager,
 * with its own copy of the LoRA adapters.
 */
public record Replica(CausalLm model, LoraAdapters adapters) implements AutoCloseable {

    public Device device() {
        return model.manager().getDevice();
    }

    @Override
    public void close() {
        model.close();
    }
}
