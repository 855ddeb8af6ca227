package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.ResumePolicy;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.lora.LoraAdapters;
import io.kubelora.trainer.merge.MergedModelPublisher;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.storage.LocalStore;
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
 * One fine-tuning run from a LoraFineTune: fetch model and data, train the adapter, deliver the adapter and
 * the run's reports (metrics.jsonl, summary.json, loss.png) to spec.output.uri.
 */
public final class FineTuneRun {

    /** Seconds a SIGTERM waits for the final checkpoint; below Kubernetes' default 30 s grace period. */
    private static final long GRACE_SECONDS = 25;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LoraFineTune resource;
    private final Storage storage;
    private final Path workRoot;
    private final PrintStream log;
    private final List<TrainingObserver> extraObservers;

    /**
     * @param workRoot        local folder for staging and, when the output is remote, the run's reports
     * @param extraObservers  e.g. the Prometheus endpoint
     */
    public FineTuneRun(LoraFineTune resource, Storage storage, Path workRoot, PrintStream log,
                       List<TrainingObserver> extraObservers) {
        this.resource = resource;
        this.storage = storage;
        this.workRoot = workRoot;
        this.log = log;
        this.extraObservers = List.copyOf(extraObservers);
    }

    /** What a finished run delivered. */
    public record Result(String adapterUri, String mergedModelUri, RunSummary summary) {
    }

    public Result execute() throws IOException {
        LoraFineTuneSpec spec = resource.getSpec();
        String name = resource.getMetadata() == null || resource.getMetadata().getName() == null
                ? "run" : resource.getMetadata().getName();
        long started = System.nanoTime();

        log.println("Fetching base model " + spec.baseModel().uri());
        Path modelDir = storage.fetchDirectory(spec.baseModel().uri());
        log.println("Fetching dataset " + spec.dataset().uri());
        Path datasetFile = storage.fetchFile(spec.dataset().uri());
        MergedModelPublisher merger = new MergedModelPublisher(storage, System.getenv(), workRoot);
        if (spec.merge().enabled()) {
            merger.checkDestination(spec.merge().output().uri()); // fail before training, not after
        }

        Device device = Devices.preferred();
        Engine.getInstance().setRandomSeed((int) (long) spec.training().seed());

        // Reports go straight into a local output; for a remote one they are kept here and uploaded at the end.
        boolean localOutput = storage.isLocal(spec.output().uri());
        Path workDir = localOutput ? storage.localPath(spec.output().uri()) : workRoot.resolve("runs").resolve(name);
        Files.createDirectories(workDir);
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            TrainingData data = TrainingData.load(datasetFile, SpecTranslation.dataOptions(spec.dataset()), tokenizer, spec.training().seed());
            log.println(data.describe());
            try (CausalLm model = CausalLm.load(modelDir, SpecTranslation.modelOptions(spec, device))) {
                LoraAdapters adapters = LoraAdapters.attach(model,
                        SpecTranslation.adapterConfig(spec.lora(), spec.baseModel().uri()), spec.training().seed());
                try (AdamW optimizer = new AdamW(adapters.parameters(), spec.training().weightDecay(),
                        model.manager());
                     GracefulStop stop = new GracefulStop(GRACE_SECONDS)) {
                log.println(parameterLine(model.trainableParameterCount(), model.parameterCount()));
                log.println("Training on " + device + " with " + model.computeDescription()
                        + " (training.precision " + spec.training().precision().name().toLowerCase(Locale.ROOT) + ")");

                Path metricsFile = workDir.resolve("metrics.jsonl");
                Checkpoints checkpoints = new Checkpoints(storage, spec.output().uri(), RunFingerprint.of(spec),
                        spec.training().checkpointsToKeep(), workRoot.resolve("staging").resolve(name));
                int startStep = resume(spec, checkpoints, adapters, optimizer, metricsFile);
                LossPlot plot = new LossPlot();
                if (startStep > 0) {
                    plot.addHistory(metricsFile);
                }
                try (MetricsJsonl metrics = new MetricsJsonl(metricsFile, startStep > 0)) {
                    List<TrainingObserver> observers = new ArrayList<>(
                            List.of(metrics, ProgressPrinter.forConsole(), plot));
                    observers.addAll(extraObservers);
                    if (device.isGpu()) {
                        observers.add(new GpuMemoryReporter(device, extraObservers));
                    }
                    TrainingLoop loop = new TrainingLoop(model, data, spec.training(), observers);
                    int total = loop.totalSteps();
                    extraObservers.stream().filter(TrainerMetrics.class::isInstance).map(TrainerMetrics.class::cast)
                            .forEach(m -> m.starting(startStep, total));
                    int every = spec.training().checkpointEverySteps();
                    TrainingLoop.LoopResult result = loop.run(startStep, optimizer, done -> {
                        boolean stopping = stop.requested();
                        if (stopping || (every > 0 && done % every == 0 && done < total)) {
                            saveCheckpoint(checkpoints, done, total, adapters, optimizer, spec, metricsFile);
                        }
                        if (stopping) {
                            stop.saved();
                        }
                        return stopping;
                    });
                    if (result.stepsDone() < total) {
                        throw new IllegalStateException("stopped by SIGTERM after step " + result.stepsDone() + "/"
                                + total + "; a checkpoint was written and a restart resumes from it");
                    }
                    Delivery delivery = new Delivery(modelDir, workDir, merger, plot, observers);
                    return deliver(spec, name, started, model, adapters, data, device, delivery, result);
                }
                }
            }
        }
    }

    private int resume(LoraFineTuneSpec spec, Checkpoints checkpoints, LoraAdapters adapters, AdamW optimizer,
                       Path metricsFile) throws IOException {
        if (spec.training().resume() == ResumePolicy.NEVER) {
            checkpoints.clear();
            return 0;
        }
        long begin = System.nanoTime();
        Optional<Checkpoints.Found> found = checkpoints.latest();
        if (found.isEmpty()) {
            return 0;
        }
        int step = checkpoints.restore(found.get(), adapters, optimizer, metricsFile);
        log.printf(Locale.ROOT, "Resumed from checkpoint step-%d of %s in %.1f s%n", step, checkpoints.folderUri(),
                (System.nanoTime() - begin) / 1e9);
        return step;
    }

    private void saveCheckpoint(Checkpoints checkpoints, int step, int total, LoraAdapters adapters, AdamW optimizer,
                                LoraFineTuneSpec spec, Path metricsFile) {
        try {
            checkpoints.save(step, total, adapters, optimizer, spec.baseModel().uri(), metricsFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint step-" + step + ": " + e.getMessage(), e);
        }
    }

    /** Where a finished run's results come from and go. */
    private record Delivery(Path modelDir, Path workDir, MergedModelPublisher merger, LossPlot plot,
                            List<TrainingObserver> observers) {
    }

    private Result deliver(LoraFineTuneSpec spec, String name, long started, CausalLm model, LoraAdapters adapters,
                           TrainingData data,
                           Device device, Delivery delivery, TrainingLoop.LoopResult result) throws IOException {
        Path workDir = delivery.workDir();
        Path staged = workRoot.resolve("staging").resolve(name).resolve("adapter");
        LocalStore.deleteTree(staged);
        adapters.save(staged, spec.baseModel().uri());
        String adapterUri = storage.publishDirectory(spec.output().uri(), "adapter", staged);
        log.println("Adapter written to " + adapterUri);
        String mergedUri = spec.merge().enabled() ? merge(spec, name, delivery, staged) : null;
        LocalStore.deleteTree(staged);

        double seconds = (System.nanoTime() - started) / 1e9;
        RunSummary summary = new RunSummary(result.stepsDone(), result.epochs(), result.finalLoss(),
                Double.isNaN(result.finalEvalLoss()) ? null : result.finalEvalLoss(),
                result.trainedTokens(), result.lossTokens(), seconds, result.trainedTokens() / result.seconds(),
                ProcessMemory.peakResidentBytes(), model.trainableParameterCount(), model.parameterCount(),
                data.trainExamples(), data.validationExamples(), data.skippedExamples(), device.toString());
        JSON.writeValue(workDir.resolve("summary.json").toFile(), summary);
        delivery.plot().write(workDir.resolve("loss.png"), "LoraFineTune " + name);
        delivery.observers().forEach(o -> o.onFinished(summary));
        if (!storage.isLocal(spec.output().uri())) {
            storage.uploadDirectory(workDir, spec.output().uri());
        }
        return new Result(adapterUri, mergedUri, summary);
    }

    /**
     * Folds the adapter into the base model read again from its folder, so a QLoRA run merges into the
     * original 16-bit weights, not the 4-bit ones it trained against.
     */
    private String merge(LoraFineTuneSpec spec, String name, Delivery delivery, Path adapterDir) throws IOException {
        List<TrainerMetrics> metrics = delivery.observers().stream().filter(TrainerMetrics.class::isInstance)
                .map(TrainerMetrics.class::cast).toList();
        metrics.forEach(m -> m.setMerging(true));
        long begin = System.nanoTime();
        log.println("Merging the adapter into " + spec.baseModel().uri());
        MergedModelPublisher.Published merged = delivery.merger().mergeAndPublish(delivery.modelDir(), adapterDir,
                spec.merge().output().uri(), SpecTranslation.mergeOptions(spec.merge()),
                "Merge LoRA adapter of LoraFineTune " + name);
        metrics.forEach(m -> m.setMerging(false));
        log.printf(Locale.ROOT, "Merged model written to %s (%d shard(s), %.1f s)%n", merged.uri(),
                merged.result().shards(), (System.nanoTime() - begin) / 1e9);
        return merged.uri();
    }

    /** The line peft users know: trainable params: 1,703,936 || all params: ... || trainable%: 0.1377 */
    public static String parameterLine(long trainable, long all) {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable, all, 100.0 * trainable / all);
    }
}
