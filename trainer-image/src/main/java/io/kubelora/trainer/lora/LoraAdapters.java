package io.kubelora.trainer.lora;

import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.Linear;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.model.WeightNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LoRA adapters attached to one model, targeted by module name after the model is built (as peft does):
 * fresh ones to train, or those of a PEFT folder; saved as a PEFT folder. Attaching replaces whatever adapters
 * the model had, so an older handle on the same model no longer applies.
 */
public final class LoraAdapters {

    private final CausalLm model;
    private final PeftAdapterConfig config;
    private final List<LoraAdapter> adapters;

    private LoraAdapters(CausalLm model, PeftAdapterConfig config, List<LoraAdapter> adapters) {
        this.model = model;
        this.config = config;
        this.adapters = List.copyOf(adapters);
    }

    /**
     * Attaches fresh adapters (A kaiming-uniform from {@code seed}, B zero: the output is unchanged) to the
     * target modules of every layer, and none to the other linears.
     */
    public static LoraAdapters attach(CausalLm model, PeftAdapterConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<LoraAdapter> adapters = new ArrayList<>();
        for (int i = 0; i < model.config().numHiddenLayers(); i++) {
            for (String module : WeightNames.LINEAR_MODULES) {
                Linear linear = model.linear(i, module);
                if (!config.targetModules().contains(module)) {
                    linear.attach(null);
                    continue;
                }
                long[] shape = linear.shape(); // [out, in]
                LoraAdapter adapter = LoraAdapter.create(PeftAdapter.loraA(i, module), PeftAdapter.loraB(i, module),
                        shape[0], shape[1], config.rank(), config.scaling(), config.dropout(), random.split(),
                        model.manager());
                linear.attach(adapter);
                adapters.add(adapter);
            }
        }
        return new LoraAdapters(model, config, adapters);
    }

    /**
     * Attaches the adapters saved in a PEFT folder. The folder is fully validated first, so a mismatched adapter
     * leaves the model as it was.
     */
    public static LoraAdapters load(CausalLm model, Path adapterDir) {
        PeftAdapterConfig saved = PeftAdapterConfig.read(adapterDir);
        Map<String, float[]> values = PeftAdapter.readWeights(adapterDir,
                PeftAdapter.expectedShapes(model.config(), saved));
        LoraAdapters loaded = attach(model, saved, 0);
        loaded.set(values);
        return loaded;
    }

    /**
     * Overwrites these adapters' values with those of a PEFT folder of the same rank, targets and scaling (a
     * checkpoint of this run). The arrays stay the same, so an optimizer holding them keeps working.
     */
    public void loadWeights(Path adapterDir) {
        PeftAdapterConfig saved = PeftAdapterConfig.read(adapterDir);
        if (!saved.sameShapeAs(config)) {
            throw new IllegalArgumentException(adapterDir + ": adapter r=" + saved.rank() + " on "
                    + saved.targetModules() + " (scaling " + saved.scaling() + ") does not match the model's r="
                    + config.rank() + " on " + config.targetModules() + " (scaling " + config.scaling() + ")");
        }
        set(PeftAdapter.readWeights(adapterDir, PeftAdapter.expectedShapes(model.config(), saved)));
    }

    /** Writes the adapters as a PEFT folder (adapter_config.json + adapter_model.safetensors). */
    public void save(Path adapterDir, String baseModelNameOrPath) {
        try {
            PeftAdapter.write(adapterDir, config.withBaseModel(baseModelNameOrPath), parameters());
        } catch (IOException e) {
            throw new UncheckedIOException(adapterDir + ": cannot write adapter: " + e.getMessage(), e);
        }
    }

    public PeftAdapterConfig config() {
        return config;
    }

    /** A then B of every adapter, in layer and module order. */
    public List<TrainableParameter> parameters() {
        List<TrainableParameter> parameters = new ArrayList<>();
        adapters.forEach(a -> parameters.addAll(a.parameters()));
        return parameters;
    }

    private void set(Map<String, float[]> values) {
        for (LoraAdapter adapter : adapters) {
            List<TrainableParameter> ab = adapter.parameters();
            adapter.set(values.get(ab.get(0).name()), values.get(ab.get(1).name()));
        }
    }
}
