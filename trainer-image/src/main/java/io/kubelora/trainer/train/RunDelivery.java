package io.kubelora.trainer.train;

import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.lora.AdapterNotes;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.WeightBytes;
import io.kubelora.trainer.merge.MergedModelPublisher;
import io.kubelora.trainer.model.CausalLm;
import io.kubelora.trainer.storage.Storage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The end of a trained run: which weights are delivered (the best evaluation's with training.keepBest, else the last
 * step's) and their answers to the evaluation prompts; the adapter published to output.uri/adapter and, with merge
 * enabled, the merged model of the same weights; the summary and the reports.
 */
final class RunDelivery {

    /** The adapter delivered: the weights of {@code step}, evaluated at {@code evalLoss} (null: not evaluated). */
    record Delivered(int step, Double evalLoss, List<Sample> samples) {
    }

    /** Where the adapter, and the merged model when merge is enabled (else null), were published. */
    record Published(String adapterUri, String mergedModelUri) {
    }

    private final LoraFineTuneSpec spec;
    private final String name;
    private final Storage storage;
    private final MergedModelPublisher merger;
    private final PrintStream log;

    RunDelivery(LoraFineTuneSpec spec, String name, Storage storage, MergedModelPublisher merger, PrintStream log) {
        this.spec = spec;
        this.name = name;
        this.storage = storage;
        this.merger = merger;
        this.log = log;
    }

    /**
     * Chooses the weights to deliver, loading the best evaluation's from its checkpoint when training went on past
     * it, and the answers to the evaluation prompts with those weights (reported at the end).
     */
    Delivered choose(TrainingLoop.LoopResult trained, EvalHistory history, Checkpoints checkpoints,
                     TrainingState state, SampleAnswers samples, TrainingObserver observers) throws IOException {
        int step = trained.stepsDone();
        // The loop's last evaluation is of its last step (it evaluates there, and early stopping stops there).
        Double evalLoss = trained.finalEval() == null ? null : trained.finalEval().loss();
        if (spec.keepsBest() && history.any()) {
            evalLoss = history.bestLoss();
            if (history.bestStep() != step) {
                int best = history.bestStep();
                Checkpoints.Found found = checkpoints.fetch(best).orElseThrow(() -> new IllegalStateException(
                        "the checkpoint of the best evaluation, step-" + best + ", is missing from "
                                + checkpoints.folderUri() + "; set training.keepBest: false to deliver the last "
                                + "adapter"));
                state.adapters().loadWeights(found.folder().resolve("adapter"));
                log.printf(Locale.ROOT, "Delivering the adapter of step %d (best eval loss %.4f), not of the last "
                        + "step %d%n", best, history.bestLoss(), step);
                step = best;
            }
        }
        List<Sample> answers = List.of();
        if (!samples.isEmpty()) {
            answers = samples.answeredAt(step);
            if (answers == null) {
                answers = samples.answer(step);
                observers.onSamples(answers);
            }
        }
        return new Delivered(step, evalLoss, answers);
    }

    /**
     * Publishes the adapter to output.uri/adapter (with {@code notes}: how it was trained) and, when merge is
     * enabled, the merged model of the same weights into the base model read again from {@code modelDir}.
     */
    Published publish(Path modelDir, TrainingState state, TrainingObserver observers, AdapterNotes notes,
                      Path staging) throws IOException {
        Path staged = staging.resolve("adapter");
        state.adapters().save(staged, spec.baseModel().uri());
        notes.write(staged);
        String adapterUri = storage.publishDirectory(spec.output().uri(), "adapter", staged);
        log.println("Adapter written to " + adapterUri);
        String mergedUri = spec.merge().enabled() ? merge(modelDir, staged, observers) : null;
        return new Published(adapterUri, mergedUri);
    }

    /** summary.json's content: the whole run (all its processes), the delivered step, memory and data figures. */
    static RunSummary summarize(TrainingLoop.LoopResult trained, EvalHistory history, Delivered delivered,
                                TrainingState state, TrainingData data, RunTotals totals, MemoryPlan plan,
                                DeviceMemory memory) {
        Evaluation last = trained.finalEval();
        CausalLm model = state.model();
        Double nf4Bits = plan.settings().options().nf4()
                ? 8.0 * model.decoderLinearBytes() / WeightBytes.decoderLinearParameters(model.config()) : null;
        return new RunSummary(trained.stepsDone(), trained.epochs(), trained.finalLoss(),
                last == null ? null : last.loss(), last == null ? null : last.perplexity(),
                last == null ? null : last.accuracy(), history.any() ? history.bestLoss() : null,
                history.any() ? history.bestStep() : null, delivered.step(), trained.stopReason(),
                totals.trainedTokens(), totals.lossTokens(), totals.wallTimeSeconds(),
                totals.trainedTokens() / totals.trainSeconds(), totals.peakRssBytes(),
                model.trainableParameterCount(), model.parameterCount(), data.trainExamples(),
                data.validationExamples(), data.skippedExamples(), state.devices().get(0).toString(),
                state.replicas().size(), totals.processes(),
                plan.total(),
                memory.peak(), memory.source(), model.baseWeightBytes(), nf4Bits, data.promptTemplate().label(),
                delivered.samples());
    }

    /** Writes summary.json and loss.png, and uploads the reports when the output is remote. */
    void report(RunSummary summary, RunReports reports, TrainingObserver observers) throws IOException {
        observers.onPhase(RunPhase.REPORTING);
        reports.finish(summary, "LoraFineTune " + name);
        observers.onFinished(summary);
        if (!storage.isLocal(spec.output().uri())) {
            storage.uploadDirectory(reports.folder(), spec.output().uri());
        }
    }

    /**
     * Folds the adapter into the base model read again from its folder, so a QLoRA run merges into the
     * original 16-bit weights, not the 4-bit ones it trained against.
     */
    private String merge(Path modelDir, Path adapterDir, TrainingObserver observers) throws IOException {
        observers.onPhase(RunPhase.MERGING);
        long begin = System.nanoTime();
        log.println("Merging the adapter into " + spec.baseModel().uri());
        MergedModelPublisher.Published merged = merger.mergeAndPublish(modelDir, adapterDir,
                spec.merge().output().uri(), SpecTranslation.mergeOptions(spec.merge()),
                "Merge LoRA adapter of LoraFineTune " + name);
        log.printf(Locale.ROOT, "Merged model written to %s (%d shard(s), %.1f s)%n", merged.uri(),
                merged.result().shards(), (System.nanoTime() - begin) / 1e9);
        return merged.uri();
    }
}
