package io.kubelora.trainer.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.model.InPlace;
import io.kubelora.trainer.model.TrainableParameter;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import io.kubelora.trainer.storage.CompletionManifest;
import io.kubelora.trainer.storage.LocalFiles;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resumable checkpoints under {@code <output>/checkpoints/step-N}: the adapter (PEFT files), the AdamW moments
 * (optimizer.safetensors), trainer_state.json (step, fingerprint) and the metrics logged so far. Dropout and
 * data order are functions of (seed, step), so the step is the whole position: a resumed run continues the
 * same sequence of batches and masks. Each checkpoint is published atomically, so a kill mid-write leaves
 * the previous one usable.
 */
public final class Checkpoints {

    private static final Pattern STEP_FOLDER = Pattern.compile("step-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final String STATE_FILE = "trainer_state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";

    private final Storage storage;
    private final String outputUri;
    private final String folderUri;
    private final String fingerprint;
    private final int keep;
    private final Path staging;

    public Checkpoints(Storage storage, String outputUri, String fingerprint, int keep, Path staging) {
        this.storage = storage;
        this.outputUri = outputUri;
        this.folderUri = storage.resolve(outputUri, "checkpoints");
        this.fingerprint = fingerprint;
        this.keep = keep;
        this.staging = staging;
    }

    /** What trainer_state.json holds; {@code totals} is absent in checkpoints of older versions. */
    public record State(@JsonProperty("step") int step, @JsonProperty("total_steps") int totalSteps,
                        @JsonProperty("fingerprint") String fingerprint,
                        @JsonProperty("optimizer_steps") long optimizerSteps,
                        @JsonProperty("totals") RunTotals totals) {
    }

    /**
     * A checkpoint found in the output, fetched to a local folder.
     *
     * @param skipped newer checkpoints passed over because they are incomplete (interrupted while being written)
     */
    public record Found(State state, Path folder, List<Integer> skipped) {

        /** What the processes up to this checkpoint did. */
        RunTotals totals() {
            return state.totals() == null ? RunTotals.NONE : state.totals();
        }
    }

    public String folderUri() {
        return folderUri;
    }

    /** Checkpoint steps present in the output, newest first. */
    public List<Integer> steps() {
        List<Integer> steps = new ArrayList<>();
        for (String name : storage.list(folderUri)) {
            Matcher m = STEP_FOLDER.matcher(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
            if (m.matches()) {
                steps.add(Integer.parseInt(m.group(1)));
            }
        }
        steps.sort(Comparator.reverseOrder());
        return steps;
    }

    /**
     * The newest complete checkpoint of this configuration. A checkpoint of another configuration is an
     * error: resuming it would silently mix two runs.
     */
    public Optional<Found> latest() throws IOException {
        List<Integer> skipped = new ArrayList<>();
        for (int step : steps()) {
            String stepUri = storage.resolve(folderUri, "step-" + step);
            Path folder;
            try {
                if (!storage.list(stepUri).contains(CompletionManifest.COMPLETE)) {
                    throw new StorageException(stepUri + " has no " + CompletionManifest.COMPLETE);
                }
                folder = storage.fetchDirectory(stepUri);
            } catch (StorageException incomplete) {
                skipped.add(step); // an interrupted write: fall back to an older checkpoint
                continue;
            }
            Path stateFile = folder.resolve(STATE_FILE);
            if (!Files.exists(stateFile)) {
                skipped.add(step);
                continue;
            }
            State state = JSON.readValue(stateFile.toFile(), State.class);
            if (!fingerprint.equals(state.fingerprint())) {
                throw new IllegalArgumentException("spec.output.uri (" + outputUri + "): checkpoints/ holds"
                        + " checkpoints of another configuration (" + state.fingerprint() + "; this run is "
                        + fingerprint + "): choose another output.uri, or set training.resume: never to delete them"
                        + " and start over");
            }
            return Optional.of(new Found(state, folder, List.copyOf(skipped)));
        }
        return Optional.empty();
    }

    /**
     * Restores adapter weights, optimizer moments and the metrics logged up to the checkpoint; returns the step to
     * continue from.
     */
    public int restore(Found found, LoraAdapters adapters, AdamW optimizer, Path metricsFile) throws IOException {
        adapters.loadWeights(found.folder().resolve("adapter"));
        try (SafetensorsFile file = SafetensorsFile.open(found.folder().resolve(OPTIMIZER_FILE))) {
            List<TrainableParameter> params = adapters.parameters();
            for (int i = 0; i < params.size(); i++) {
                String name = params.get(i).name();
                InPlace.assign(optimizer.firstMoments().get(i), file.readFloats("exp_avg." + name));
                InPlace.assign(optimizer.secondMoments().get(i), file.readFloats("exp_avg_sq." + name));
            }
        }
        optimizer.restoreSteps(found.state().optimizerSteps());
        Path metrics = found.folder().resolve(RunReports.METRICS_FILE);
        if (Files.exists(metrics)) {
            Files.copy(metrics, metricsFile, StandardCopyOption.REPLACE_EXISTING);
        }
        return found.state().step();
    }

    /**
     * Writes step-N, with what the run's processes did up to it, and deletes all but the newest {@code keep}
     * checkpoints.
     */
    public void save(int step, int totalSteps, LoraAdapters adapters, AdamW optimizer, String baseModel,
                     Path metricsFile, RunTotals totals) throws IOException {
        Path dir = Files.createDirectory(staging.resolve("step-" + step)); // staging is this process's own
        try {
            adapters.save(dir.resolve("adapter"), baseModel);
            writeOptimizer(dir.resolve(OPTIMIZER_FILE), adapters.parameters(), optimizer);
            JSON.writeValue(dir.resolve(STATE_FILE).toFile(),
                    new State(step, totalSteps, fingerprint, optimizer.steps(), totals));
            if (Files.exists(metricsFile)) {
                Files.copy(metricsFile, dir.resolve(RunReports.METRICS_FILE));
            }
            storage.publishDirectory(folderUri, "step-" + step, dir);
        } finally {
            LocalFiles.deleteTree(dir);
        }
        List<Integer> steps = steps();
        for (int old : steps.subList(Math.min(keep, steps.size()), steps.size())) {
            storage.deletePublished(storage.resolve(folderUri, "step-" + old));
        }
    }

    /**
     * Removes every checkpoint (training.resume: never starts over); files KubeLoRA did not write stay.
     */
    public void clear() {
        for (int step : steps()) {
            storage.deletePublished(storage.resolve(folderUri, "step-" + step));
        }
    }

    private static void writeOptimizer(Path file, List<TrainableParameter> params, AdamW optimizer) throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (TrainableParameter p : params) {
            long[] shape = p.array().getShape().getShape();
            entries.add(new SafetensorsWriter.Entry("exp_avg." + p.name(), DType.F32, shape));
            entries.add(new SafetensorsWriter.Entry("exp_avg_sq." + p.name(), DType.F32, shape));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, Map.of("format", "kubelora-adamw"))) {
            for (int i = 0; i < params.size(); i++) {
                writer.write("exp_avg." + params.get(i).name(), floats(optimizer.firstMoments().get(i)));
                writer.write("exp_avg_sq." + params.get(i).name(), floats(optimizer.secondMoments().get(i)));
            }
        }
    }

    private static float[] floats(NDArray array) {
        return array.toFloatArray();
    }
}
