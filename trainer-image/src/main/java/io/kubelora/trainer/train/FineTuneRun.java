package io.kubelora.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.Precision;
import io.kubelora.trainer.data.TextTokenizer;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.model.ModelOptions;
import io.kubelora.trainer.storage.Publication;
import io.kubelora.trainer.storage.Storage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One fine-tuning run from a LoraFineTune: fetch model and data, train the adapter, deliver the adapter and
 * the run's reports (metrics.jsonl, summary.json, loss.png) to spec.output.uri.
 */
public final class FineTuneRun {

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
    public record Result(String adapterUri, RunSummary summary) {
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

        Device device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        boolean bf16 = spec.training().precision() == Precision.BF16
                || (spec.training().precision() == Precision.AUTO && device.isGpu());
        Engine.getInstance().setRandomSeed((int) (long) spec.training().seed());

        Path workDir = localOutput(spec.output().uri()).orElse(workRoot.resolve("runs").resolve(name));
        Files.createDirectories(workDir);
        try (TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            TrainingData data = TrainingData.load(datasetFile, spec.dataset(), tokenizer, spec.training().seed());
            log.println(data.describe());
            ModelOptions options = new ModelOptions(device, bf16, spec.lora(), spec.quantization(),
                    spec.quantizationConfig(), spec.training().gradientCheckpointing(), spec.training().seed());
            try (CausalLm model = CausalLm.load(modelDir, options);
                 MetricsJsonl metrics = new MetricsJsonl(workDir.resolve("metrics.jsonl"), false);
                 AdamW optimizer = new AdamW(model.trainableParameters(), spec.training().weightDecay(),
                         model.manager())) {
                log.println(parameterLine(model.trainableParameterCount(), model.parameterCount()));
                log.println("Training on " + device + (bf16 ? " (bf16 compute)" : " (fp32)"));
                LossPlot plot = new LossPlot();
                List<TrainingObserver> observers = new ArrayList<>(List.of(metrics, ProgressPrinter.forConsole(), plot));
                observers.addAll(extraObservers);
                TrainingLoop loop = new TrainingLoop(model, data, spec.training(), observers);
                extraObservers.stream().filter(TrainerMetrics.class::isInstance).map(TrainerMetrics.class::cast)
                        .forEach(m -> m.starting(0, loop.totalSteps()));
                TrainingLoop.LoopResult result = loop.run(0, optimizer);

                Path staged = workRoot.resolve("staging").resolve(name).resolve("adapter");
                deleteRecursively(staged);
                model.saveAdapter(staged, spec.baseModel().uri());
                String adapterUri = publish(spec.output().uri(), "adapter", staged);
                deleteRecursively(staged);

                double seconds = (System.nanoTime() - started) / 1e9;
                RunSummary summary = new RunSummary(result.stepsRun(), result.epochs(), result.finalLoss(),
                        Double.isNaN(result.finalEvalLoss()) ? null : result.finalEvalLoss(),
                        result.trainedTokens(), result.lossTokens(), seconds, result.trainedTokens() / result.seconds(),
                        ProcessMemory.peakResidentBytes(), model.trainableParameterCount(), model.parameterCount(),
                        data.trainExamples(), data.validationExamples(), data.skippedExamples(), device.toString());
                JSON.writeValue(workDir.resolve("summary.json").toFile(), summary);
                plot.write(workDir.resolve("loss.png"), "LoraFineTune " + name);
                observers.forEach(o -> o.onFinished(summary));
                if (localOutput(spec.output().uri()).isEmpty()) {
                    storage.uploadDirectory(workDir, spec.output().uri());
                }
                log.println("Adapter written to " + adapterUri);
                return new Result(adapterUri, summary);
            }
        }
    }

    private String publish(String outputUri, String folder, Path localDir) throws IOException {
        Publication publication = storage.publish(outputUri, folder);
        try (Stream<Path> files = Files.walk(localDir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                publication.addFile(localDir.relativize(file).toString().replace('\\', '/'), file);
            }
        }
        return publication.commit();
    }

    /** The folder itself when the output is on this machine (a path, file:// or a mounted pvc://). */
    private java.util.Optional<Path> localOutput(String uri) {
        return storage.localPath(uri);
    }

    /** The line peft users know: trainable params: 1,703,936 || all params: ... || trainable%: 0.1377 */
    public static String parameterLine(long trainable, long all) {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable, all, 100.0 * trainable / all);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
