package io.kubelora.trainer.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.lora.AdapterNotes;
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
 * (optimizer.safetensors), trainer_state.json (step, fingerprint, rows per micro-batch, the best evaluation so far
 * and the early stopping count) and the metrics logged so far. Data order is a function of (seed, step) and dropout
 * masks of the rows, so the step and the rows per micro-batch are the whole position: a resumed run continues the
 * same sequence of batches and masks, with any number of replicas. Each checkpoint is published atomically, so a
 * kill mid-write leaves the previous one usable. The checkpoint of the best evaluation can be protected from
 * rotation until the run ends (training.keepBest delivers its adapter).
 */
public final class Checkpoints {

    private static final Pattern STEP_FOLDER = Pattern.compile("step-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final String STATE_FILE = "trainer_state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The reports written while training, saved with each checkpoint so a resumed run continues them. */
    private static final List<String> REPORTS = List.of(RunReports.METRICS_FILE, SamplesJsonl.FILE);

    private final Storage storage;
    private final String outputUri;
    private final String folderUri;
    private final String fingerprint;
    private final int keep;
    private final Path staging;
    /** A step whose checkpoint rotation keeps (the best evaluation's), or -1. */
    private int protectedStep = -1;

    public Checkpoints(Storage storage, String outputUri, String fingerprint, int keep, Path staging) {
        this.storage = storage;
        this.outputUri = outputUri;
        this.folderUri = storage.resolve(outputUri, "checkpoints");
        this.fingerprint = fingerprint;
        this.keep = keep;
        this.staging = staging;
    }

    /**
     * What trainer_state.json holds; {@code totals} is absent in checkpoints of older versions, the evaluation fields
     * in checkpoints of runs without them.
     *
     * @param totals         what the run's processes did up to this step
     * @param microBatchRows rows of one micro-batch over all replicas (training.batchSize x replicas when the run
     *                       started); null in checkpoints written before replicas existed, which had batchSize
     * @param replicas       replicas of the run that wrote it; null in those older checkpoints (one)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record State(@JsonProperty("step") int step, @JsonProperty("total_steps") int totalSteps,
                        @JsonProperty("fingerprint") String fingerprint,
                        @JsonProperty("optimizer_steps") long optimizerSteps,
                        @JsonProperty("totals") RunTotals totals,
                        @JsonProperty("micro_batch_rows") Integer microBatchRows,
                        @JsonProperty("replicas") Integer replicas,
                        @JsonProperty("best_eval_loss") Double bestEvalLoss,
                        @JsonProperty("best_step") Integer bestStep,
                        @JsonProperty("evals_without_improvement") Integer evalsWithoutImprovement) {

        /** The evaluations the checkpointed run had made. */
        public EvalHistory.State evalHistory() {
            return bestStep == null || bestEvalLoss == null ? EvalHistory.State.EMPTY
                    : new EvalHistory.State(bestEvalLoss, bestStep,
                    evalsWithoutImprovement == null ? 0 : evalsWithoutImprovement);
        }
    }

    /**
     * A checkpoint found in the output, fetched to a local folder.
     *
     * @param skipped newer checkpoints passed over because they are incomplete (interrupted while being written)
     */
    public record Found(State state, Path folder, List<Integer> skipped) {
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
            Optional<Found> found = fetch(step);
            if (found.isPresent()) {
                return Optional.of(new Found(found.get().state(), found.get().folder(), List.copyOf(skipped)));
            }
            skipped.add(step); // an interrupted write: fall back to an older checkpoint
        }
        return Optional.empty();
    }

    /** Checkpoint step-N of this configuration, fetched; empty when it is missing or incomplete. */
    public Optional<Found> fetch(int step) throws IOException {
        String stepUri = storage.resolve(folderUri, "step-" + step);
        Path folder;
        try {
            if (!storage.list(stepUri).contains(CompletionManifest.COMPLETE)) {
                return Optional.empty();
            }
            folder = storage.fetchDirectory(stepUri);
        } catch (StorageException incomplete) {
            return Optional.empty();
        }
        Path stateFile = folder.resolve(STATE_FILE);
        if (!Files.exists(stateFile)) {
            return Optional.empty();
        }
        State state = JSON.readValue(stateFile.toFile(), State.class);
        if (!fingerprint.equals(state.fingerprint())) {
            throw new IllegalArgumentException("spec.output.uri (" + outputUri + "): checkpoints/ holds"
                    + " checkpoints of another configuration (" + state.fingerprint() + "; this run is "
                    + fingerprint + "): choose another output.uri, or set training.resume: never to delete them"
                    + " and start over");
        }
        return Optional.of(new Found(state, folder, List.of()));
    }

    /** Keeps step-N (the best evaluation's) through rotation until {@link #prune()}; -1 protects none. */
    public void protect(int step) {
        protectedStep = step;
    }

    /**
     * Restores adapter weights and optimizer moments, and the reports (metrics.jsonl, samples.jsonl) of the steps
     * before it into {@code reportDir}; returns the step to continue from.
     */
    public int restore(Found found, LoraAdapters adapters, AdamW optimizer, Path reportDir) throws IOException {
        protectedStep = found.state().evalHistory().bestStep();
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
        for (String report : REPORTS) {
            Path saved = found.folder().resolve(report);
            if (Files.exists(saved)) {
                Files.copy(saved, reportDir.resolve(report), StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(reportDir.resolve(report));
            }
        }
        return found.state().step();
    }

    /**
     * Writes step-N, with what the run's processes did up to it, and deletes all but the newest {@code keep}
     * checkpoints (and the protected one).
     *
     * @param totals         what the run's processes did up to step-N
     * @param adapterNotes   what the adapter folder carries besides the PEFT files (how it was trained)
     * @param microBatchRows rows of one micro-batch over all replicas, kept so that a resumed run shares the same
     *                       micro-batches among however many replicas it has
     */
    public void save(int step, int totalSteps, LoraAdapters adapters, AdamW optimizer, String baseModel,
                     Path reportDir, RunTotals totals, EvalHistory.State evals, AdapterNotes adapterNotes,
                     int microBatchRows, int replicas) throws IOException {
        boolean evaluated = evals.bestStep() >= 0;
        State state = new State(step, totalSteps, fingerprint, optimizer.steps(), totals, microBatchRows, replicas,
                evaluated ? evals.bestLoss() : null, evaluated ? evals.bestStep() : null,
                evaluated ? evals.evalsWithoutImprovement() : null);
        Path dir = Files.createDirectory(staging.resolve("step-" + step)); // staging is this process's own
        try {
            writeCheckpoint(dir, state, adapters, optimizer, baseModel, reportDir, adapterNotes);
            storage.publishDirectory(folderUri, "step-" + step, dir);
        } finally {
            LocalFiles.deleteTree(dir);
        }
        rotate();
    }

    private void writeCheckpoint(Path dir, State state, LoraAdapters adapters, AdamW optimizer, String baseModel,
                                 Path reportDir, AdapterNotes adapterNotes) throws IOException {
        adapters.save(dir.resolve("adapter"), baseModel);
        adapterNotes.write(dir.resolve("adapter"));
        writeOptimizer(dir.resolve(OPTIMIZER_FILE), adapters.parameters(), optimizer);
        JSON.writeValue(dir.resolve(STATE_FILE).toFile(), state);
        for (String report : REPORTS) {
            if (Files.exists(reportDir.resolve(report))) {
                Files.copy(reportDir.resolve(report), dir.resolve(report));
            }
        }
    }

    /** Deletes all but the newest {@code keep} checkpoints, sparing the protected one. */
    private void rotate() {
        List<Integer> steps = steps();
        for (int old : steps.subList(Math.min(keep, steps.size()), steps.size())) {
            if (old != protectedStep) {
                storage.deletePublished(storage.resolve(folderUri, "step-" + old));
            }
        }
    }

    /** At the end of a run: the protected checkpoint is no longer needed beyond the newest {@code keep}. */
    public void prune() {
        protectedStep = -1;
        rotate();
    }

    /** Removes every checkpoint (training.resume: never starts over); files KubeLoRA did not write stay. */
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
