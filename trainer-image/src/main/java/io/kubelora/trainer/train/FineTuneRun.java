package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.EvaluationSpec;
import io.kubelora.api.ResumePolicy;
import io.kubelora.api.TrainerResult;
import io.kubelora.trainer.data.Prompt;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.lora.AdapterNotes;
import io.kubelora.trainer.device.ComputeDevice;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.merge.MergedModelPublisher;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.storage.LocalFiles;
import io.kubelora.trainer.storage.Storage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One fine-tuning run from a LoraFineTune. The output is checked first ({@link RunOutput}): nothing KubeLoRA did
 * not write there is replaced or deleted, and a finished run is not trained again unless training.resume is never.
 * Then it reads the model's config.json alone and checks the run's memory plan against the GPU ({@link FitCheck}),
 * fetches model and data, resumes from a checkpoint ({@link RunResume}), trains the adapter (evaluating, answering
 * the evaluation prompts, stopping early when asked, checkpointing) and delivers it with the run's reports
 * ({@link RunDelivery}). Running out of memory is reported as such, with the plan.
 */
public final class FineTuneRun {

    /** Seconds a SIGTERM waits for the final checkpoint; below Kubernetes' default 30 s grace period. */
    private static final long GRACE_SECONDS = 25;

    private final LoraFineTuneSpec spec;
    private final String name;
    private final Storage storage;
    private final Path workRoot;
    private final PrintStream log;
    private final List<TrainingObserver> extraObservers;
    private final MergedModelPublisher merger;
    private final RunResume resume;
    private final RunDelivery delivery;
    private final DeviceRequest deviceRequest;
    private final Long gpuMemory;

    /** A run on the device its spec asks for (spec.resources.gpus, or the pod's GPUs in a training pod). */
    public FineTuneRun(LoraFineTune resource, Storage storage, Path workRoot, PrintStream log,
                       List<TrainingObserver> extraObservers) {
        this(resource, storage, workRoot, log, extraObservers,
                SpecTranslation.deviceRequest(resource.getSpec(), System.getenv(), null));
    }

    /** A run on {@code deviceRequest}'s device whose memory plan is checked against the device's own memory. */
    public FineTuneRun(LoraFineTune resource, Storage storage, Path workRoot, PrintStream log,
                       List<TrainingObserver> extraObservers, DeviceRequest deviceRequest) {
        this(resource, storage, workRoot, log, extraObservers, deviceRequest, null);
    }

    /**
     * @param workRoot        local folder under which each run stages in a new folder of its own (checkpoints and
     *                        the adapter before they are published, the reports of a remote output)
     * @param extraObservers  e.g. the Prometheus endpoint
     * @param deviceRequest   where to train and why ({@link SpecTranslation#deviceRequest})
     * @param gpuMemory       the GPU memory in bytes the run's plan is checked against instead of the device's own
     *                        (a GPU whose memory cannot be read, or a plan checked on a machine without one); null
     *                        for the device's
     */
    public FineTuneRun(LoraFineTune resource, Storage storage, Path workRoot, PrintStream log,
                       List<TrainingObserver> extraObservers, DeviceRequest deviceRequest, Long gpuMemory) {
        this.deviceRequest = deviceRequest;
        this.spec = resource.getSpec();
        this.name = resource.getMetadata() == null || resource.getMetadata().getName() == null
                ? "run" : resource.getMetadata().getName();
        this.storage = storage;
        this.workRoot = workRoot;
        this.log = log;
        this.extraObservers = List.copyOf(extraObservers);
        this.merger = new MergedModelPublisher(storage, System.getenv(), workRoot);
        this.gpuMemory = gpuMemory;
        this.resume = new RunResume(spec, log);
        this.delivery = new RunDelivery(spec, name, storage, merger, log);
    }

    /** What a finished run delivered. */
    public record Result(String adapterUri, String mergedModelUri, RunSummary summary) {

        /** The result as the operator reads it from the termination message. */
        public TrainerResult trainerResult() {
            return new TrainerResult(adapterUri, mergedModelUri, summary.finalLoss(), (long) summary.steps(),
                    summary.finalEvalLoss(), summary.bestEvalLoss(),
                    summary.bestStep() == null ? null : summary.bestStep().longValue(), (long) summary.adapterStep(),
                    summary.stoppedEarly());
        }
    }

    /** The local copies of the run's inputs; validationFile is null without dataset.validationUri. */
    private record Inputs(Path modelDir, Path datasetFile, Path validationFile) {
    }

    /** What the run found before fetching anything: its output, the checkpoint to resume, its staging folder. */
    private record Prepared(RunOutput output, Checkpoints checkpoints, Optional<Checkpoints.Found> checkpoint,
                            Path staging, long nanoTime) {
    }

    /** The fetched inputs, the tokenizer and data, the loaded model, the SIGTERM hook and the memory samples. */
    private record Loaded(Inputs inputs, TextTokenizer tokenizer, TrainingData data, TrainingState state,
                          GracefulStop stop, DeviceMemory memory) {
    }

    public Result execute() throws IOException {
        long started = System.nanoTime();
        String fingerprint = RunFingerprint.of(spec);
        RunOutput output = new RunOutput(storage, spec.output().uri(), name, fingerprint);
        Optional<RunOutput.Record> earlier = output.inspect(spec.training().resume());
        if (earlier.isPresent() && earlier.get().finished() && spec.training().resume() == ResumePolicy.AUTO) {
            return alreadyFinished(output, earlier.get());
        }
        Path staging = Files.createTempDirectory(Files.createDirectories(workRoot.resolve("staging")), name + "-");
        try {
            Checkpoints checkpoints = new Checkpoints(storage, spec.output().uri(), fingerprint,
                    spec.training().checkpointsToKeep(), staging);
            // found before anything is fetched, so another configuration's checkpoints fail the run at once
            Optional<Checkpoints.Found> checkpoint = spec.training().resume() == ResumePolicy.NEVER
                    ? Optional.empty() : checkpoints.latest();
            // The device before anything is downloaded: a GPU that cannot be used stops the run at once.
            ComputeDevice chosen = ComputeDevice.choose(deviceRequest);
            Device device = chosen.device();
            log.println(chosen.logLine(SpecTranslation.computeDescription(spec,
                    SpecTranslation.modelOptions(spec, device))));
            // Then config.json alone: its problems, and a plan that cannot fit, stop the run before any download.
            ModelConfig config = fetchModelConfig();
            MemoryPlan plan = FitCheck.run(config, spec, device, chosen.replicas(), gpuMemory, log);
            try {
                return loadAndTrain(new Prepared(output, checkpoints, checkpoint, staging, started), chosen.devices(),
                        plan);
            } catch (RuntimeException | OutOfMemoryError e) {
                RuntimeException explained = OutOfMemoryReports.explain(e, plan);
                if (explained == null) {
                    throw e;
                }
                log.println(explained.getMessage());
                throw explained;
            }
        } finally {
            LocalFiles.deleteTree(staging);
        }
    }

    /**
     * Fetches model and data and loads the model, then claims the output and trains; a failure gives up the output
     * ({@link RunOutput#abandon}).
     */
    private Result loadAndTrain(Prepared start, List<Device> devices, MemoryPlan plan) throws IOException {
        Inputs inputs = fetchInputs();
        Engine.getInstance().setRandomSeed((int) (long) spec.training().seed());
        DeviceMemory memory = new DeviceMemory(devices);
        try (TextTokenizer tokenizer = TextTokenizer.load(inputs.modelDir())) {
            TrainingData data = loadData(inputs, tokenizer);
            try (TrainingState state = TrainingState.load(inputs.modelDir(), spec, devices);
                 GracefulStop stop = new GracefulStop(GRACE_SECONDS)) {
                memory.sample();
                log.println(parameterLine(state.model().trainableParameterCount(), state.model().parameterCount()));
                log.println(state.model().linearWeights().describe());
                start.output().claim();
                try {
                    return trainAndDeliver(start, new Loaded(inputs, tokenizer, data, state, stop, memory), plan);
                } catch (IOException | RuntimeException | Error e) {
                    try {
                        start.output().abandon();
                    } catch (RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                    throw e;
                }
            }
        }
    }

    /** Trains from the checkpoint found (or step 0), then delivers the adapter and the reports, marking it finished. */
    private Result trainAndDeliver(Prepared start, Loaded loaded, MemoryPlan plan) throws IOException {
        TrainingState state = loaded.state();
        TrainingData data = loaded.data();
        Path reportDir = reportDir(start.staging());
        Checkpoints checkpoints = start.checkpoints();
        Checkpoints.State resumed = resume.restore(checkpoints, start.checkpoint(), state, reportDir);
        RunResume.Start begin = resume.start(resumed, state.replicas().size());
        RunTotals before = resumed == null || resumed.totals() == null ? RunTotals.NONE : resumed.totals();
        EvalHistory history = SpecTranslation.evalHistory(spec.training(),
                resumed == null ? EvalHistory.State.EMPTY : resumed.evalHistory());
        SampleAnswers samples = sampleAnswers(state, loaded.tokenizer(), data);
        try (RunReports reports = RunReports.open(reportDir, begin.step() > 0)) {
            Observers observers = observers(reports);
            TrainingLoop loop = new TrainingLoop(state.replicas(), data, spec.training(), begin.microBatchRows(),
                    observers, history, samples);
            Totals totals = new Totals(before, loop, start.nanoTime());
            TrainingLoop.LoopResult trained = train(loaded, loop, checkpoints, begin, observers, reportDir, history,
                    totals);
            RunDelivery.Delivered delivered = delivery.choose(trained, history, checkpoints, state, samples,
                    observers);
            RunDelivery.Published published = delivery.publish(loaded.inputs().modelDir(), state, observers,
                    AdapterNotes.of(data.promptTemplate(), delivered.step(), delivered.evalLoss()), start.staging());
            checkpoints.prune();
            RunSummary summary = RunDelivery.summarize(trained, history, delivered, state, data, totals.now(), plan,
                    loaded.memory());
            log.println("Memory: planned " + ByteSize.gib(plan.total())
                    + (state.replicas().size() > 1 ? " per replica" : "") + ", measured "
                    + ByteSize.gib(summary.measuredPeakBytes()) + " (" + loaded.memory().source() + ")");
            delivery.report(summary, reports, observers);
            start.output().finish(published.adapterUri(), published.mergedModelUri());
            return new Result(published.adapterUri(), published.mergedModelUri(), summary);
        }
    }

    /** A run whose output holds its finished results (training.resume auto): nothing to train again. */
    private Result alreadyFinished(RunOutput output, RunOutput.Record record) {
        RunSummary summary = output.finishedSummary();
        log.printf(Locale.ROOT, "LoraFineTune %s already finished at %s (%d steps, final loss %.4f): its adapter is"
                + " %s. Nothing to do; set training.resume: never to train it again.%n", name, record.finishedAt(),
                summary.steps(), summary.finalLoss(), record.adapterUri());
        return new Result(record.adapterUri(), record.mergedModelUri(), summary);
    }

    /** The model's config.json alone, so that its problems and the memory plan come before any download. */
    private ModelConfig fetchModelConfig() {
        log.println("Reading config.json of " + spec.baseModel().uri());
        return ModelConfig.read(storage.fetchModelConfig(spec.baseModel().uri()).getParent());
    }

    /** Model folder and dataset files on this machine; a merge destination is checked first, not after training. */
    private Inputs fetchInputs() {
        if (spec.merge().enabled()) {
            merger.checkDestination(spec.merge().output().uri(), "spec.merge.output.uri");
        }
        log.println("Fetching base model " + spec.baseModel().uri());
        Path modelDir = storage.fetchDirectory(spec.baseModel().uri());
        log.println("Fetching dataset " + spec.dataset().uri());
        Path datasetFile = storage.fetchFile(spec.dataset().uri());
        Path validationFile = null;
        if (spec.dataset().validationUri() != null) {
            log.println("Fetching validation data " + spec.dataset().validationUri());
            validationFile = storage.fetchFile(spec.dataset().validationUri());
        }
        return new Inputs(modelDir, datasetFile, validationFile);
    }

    /** The dataset tokenised with the model's tokenizer, a validation share held out or read from its own file. */
    private TrainingData loadData(Inputs inputs, TextTokenizer tokenizer) {
        TrainingData data = TrainingData.load(inputs.datasetFile(), inputs.validationFile(),
                SpecTranslation.dataOptions(spec.dataset()), tokenizer, spec.training().seed());
        log.println(data.describe());
        return data;
    }

    /**
     * The prompts answered at every evaluation and at the end: spec.evaluation.prompts, or the first validation
     * examples' prompts; written as the training data is.
     */
    private SampleAnswers sampleAnswers(TrainingState state, TextTokenizer tokenizer, TrainingData data) {
        List<Prompt> given = SpecTranslation.prompts(spec.evaluation());
        List<Prompt> prompts = given != null ? given : data.validationPrompts(EvaluationSpec.DEFAULT_PROMPTS);
        String what = given != null ? "spec.evaluation.prompts" : "the validation example prompts";
        return SampleAnswers.of(state.model(), tokenizer, data.promptTemplate(), prompts,
                spec.evaluation().maxNewTokens(), what);
    }

    /** Reports go straight into a local output; for a remote one they are kept in staging and uploaded at the end. */
    private Path reportDir(Path staging) throws IOException {
        return Files.createDirectories(storage.isLocal(spec.output().uri()) ? storage.localPath(spec.output().uri())
                : staging.resolve("reports"));
    }

    /** The reports, the console progress and the caller's observers (e.g. the Prometheus endpoint). */
    private Observers observers(RunReports reports) {
        List<TrainingObserver> all = new ArrayList<>(reports.observers());
        all.add(ProgressPrinter.forConsole());
        all.addAll(extraObservers);
        return new Observers(all);
    }

    /** What the processes before this one did, plus this one so far. */
    private record Totals(RunTotals before, TrainingLoop loop, long processStarted) {

        RunTotals now() {
            return before.plus(loop.trainedTokens(), loop.lossTokens(), loop.seconds(),
                    (System.nanoTime() - processStarted) / 1e9, ProcessMemory.peakResidentBytes());
        }
    }

    /**
     * Runs the optimizer steps from {@code start}, writing a checkpoint every checkpointEverySteps, at every new
     * best evaluation when the best adapter is delivered (kept until the end), and on SIGTERM (which then ends the
     * run with an error a restart resumes from). Early stopping ends it successfully.
     */
    private TrainingLoop.LoopResult train(Loaded loaded, TrainingLoop loop, Checkpoints checkpoints,
                                          RunResume.Start start, TrainingObserver observers, Path reportDir,
                                          EvalHistory history, Totals totals) {
        TrainingState state = loaded.state();
        int total = loop.totalSteps();
        log.println(effectiveBatchLine(start.microBatchRows(), spec.training().gradientAccumulationSteps(),
                state.replicas().size(), total));
        observers.onStart(new RunStart(start.step(), total, state.devices(), state.model().linearWeights()));
        int every = spec.training().checkpointEverySteps();
        boolean keepBest = spec.keepsBest();
        TrainingLoop.LoopResult result = loop.run(start.step(), state.optimizer(), (done, newBest) -> {
            loaded.memory().sample();
            boolean stopping = loaded.stop().requested();
            boolean best = keepBest && newBest && done < total;
            if (stopping || best || (every > 0 && done % every == 0 && done < total)) {
                Double evalLoss = newBest ? history.bestLoss() : null;
                saveCheckpoint(checkpoints, done, total, state, reportDir, totals.now(), history,
                        AdapterNotes.of(loaded.data().promptTemplate(), done, evalLoss), best, start.microBatchRows());
            }
            if (stopping) {
                loaded.stop().saved();
            }
            return stopping;
        });
        if (result.stopReason() != null) {
            log.println("Stopped early after step " + result.stepsDone() + "/" + total + ": " + result.stopReason());
        } else if (result.stepsDone() < total) {
            throw new IllegalStateException("stopped by SIGTERM after step " + result.stepsDone() + "/" + total
                    + "; a checkpoint was written and a restart resumes from it");
        }
        return result;
    }

    private void saveCheckpoint(Checkpoints checkpoints, int step, int total, TrainingState state, Path reportDir,
                                RunTotals totals, EvalHistory history, AdapterNotes notes, boolean best,
                                int microBatchRows) {
        try {
            if (best) {
                checkpoints.protect(step);
            }
            checkpoints.save(step, total, state.adapters(), state.optimizer(), spec.baseModel().uri(), reportDir,
                    totals, history.state(), notes, microBatchRows, state.replicas().size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint step-" + step + ": " + e.getMessage(), e);
        }
    }

    /**
     * "Effective batch: 8 sequences per micro-batch (4 on each of 2 replicas) x 2 accumulation steps = 16 sequences
     * per optimizer step; 30 steps".
     */
    static String effectiveBatchLine(int microBatchRows, int accumulation, int replicas, int totalSteps) {
        int each = (microBatchRows + replicas - 1) / replicas;
        String share = replicas == 1 ? "one replica"
                : (microBatchRows % replicas == 0 ? "" : "up to ") + each + " on each of " + replicas + " replicas";
        return String.format(Locale.ROOT, "Effective batch: %d sequences per micro-batch (%s) x %d accumulation "
                        + "step(s) = %d sequences per optimizer step; %d steps", microBatchRows, share, accumulation,
                (long) microBatchRows * accumulation, totalSteps);
    }

    /** The line peft users know: trainable params: 1,703,936 || all params: ... || trainable%: 0.1377 */
    public static String parameterLine(long trainable, long all) {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable, all, 100.0 * trainable / all);
    }
}
