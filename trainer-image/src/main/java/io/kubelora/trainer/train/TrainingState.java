package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.parallel.Replica;
import io.kubelora.trainer.parallel.Replicas;
import java.nio.file.Path;
import java.util.List;

/**
 * What a run trains: one replica of the model with its LoRA adapters per device, and the optimizer over the first
 * replica's adapter parameters.
 *
 * @param replicas  the base model on each of the run's devices, with fresh adapters of spec.lora initialised from
 *                  training.seed (the same on every replica)
 * @param optimizer AdamW over the first replica's adapter parameters, its moments in that model's manager (or in host
 *                  memory with training.optimizerOffload on a GPU)
 */
record TrainingState(Replicas replicas, AdamW optimizer) implements AutoCloseable {

    /** The first replica's model: the one the optimizer steps. */
    CausalLm model() {
        return replicas.first().model();
    }

    /** The first replica's adapters: the ones checkpoints and the published adapter are written from. */
    LoraAdapters adapters() {
        return replicas.first().adapters();
    }

    List<Device> devices() {
        return replicas.devices();
    }

    /** Loads a replica on each device (at the same time, each from the model's files). */
    static TrainingState load(Path modelDir, LoraFineTuneSpec spec, List<Device> devices) {
        PeftAdapterConfig lora = SpecTranslation.adapterConfig(spec.lora(), spec.baseModel().uri());
        Replicas replicas = Replicas.load(devices, device -> {
            CausalLm model = CausalLm.load(modelDir, SpecTranslation.modelOptions(spec, device));
            try {
                return new Replica(model, LoraAdapters.attach(model, lora, spec.training().seed()));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        });
        try {
            return new TrainingState(replicas, new AdamW(replicas.first().adapters().parameters(),
                    spec.training().weightDecay(), replicas.first().model().manager(),
                    SpecTranslation.optimizerOffload(spec, devices.get(0))));
        } catch (RuntimeException e) {
            replicas.close();
            throw e;
        }
    }

    @Override
    public void close() {
        optimizer.close();
        replicas.close();
    }
}
