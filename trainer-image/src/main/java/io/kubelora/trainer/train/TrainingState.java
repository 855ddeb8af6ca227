package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.CausalLm;
import java.nio.file.Path;

/**
 * What a run trains: the model with its LoRA adapters, and the optimizer over their parameters.
 *
 * @param model     the base model on the run's device
 * @param adapters  fresh adapters of spec.lora, initialised from training.seed
 * @param optimizer AdamW over the adapters' parameters, its moments in the model's manager (or in host memory with
 *                  training.optimizerOffload on a GPU)
 */
record TrainingState(CausalLm model, LoraAdapters adapters, AdamW optimizer) implements AutoCloseable {

    /** The device the model computes on. */
    Device device() {
        return model.manager().getDevice();
    }

    static TrainingState load(Path modelDir, LoraFineTuneSpec spec, Device device) {
        CausalLm model = CausalLm.load(modelDir, SpecTranslation.modelOptions(spec, device));
        try {
            LoraAdapters adapters = LoraAdapters.attach(model,
                    SpecTranslation.adapterConfig(spec.lora(), spec.baseModel().uri()), spec.training().seed());
            return new TrainingState(model, adapters, new AdamW(adapters.parameters(), spec.training().weightDecay(),
                    model.manager(), SpecTranslation.optimizerOffload(spec, device)));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        optimizer.close();
        model.close();
    }
}
