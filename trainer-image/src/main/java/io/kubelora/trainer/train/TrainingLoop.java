package io.kubelora.trainer.train;

import io.kubelora.api.TrainingSpec;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.data.TrainingData;
import io.kubelora.trainer.model.LossSum;
import io.kubelora.trainer.parallel.Replicas;
import io.kubelora.trainer.parallel.RowShares;
import java.util.ArrayList;
import java.util.List;

/**
 * The optimizer loop: gradient accumulation over micro-batches, data parallelism over replicas, global-norm
 * clipping, AdamW with a warmup schedule, periodic evaluation (loss, perplexity, next-token accuracy, sample
 * answers; early stopping), and reports to the observers.
 *
 * <p>A micro-batch is {@code microBatchRows} consecutive rows of an epoch's order (training.batchSize on each of
 * the run's replicas), shared among the replicas by {@link RowShares}; each replica runs its share forward and
 * backward, the gradients are summed into the first replica, and one optimizer step follows whose weights are copied
 * back to every replica. The loss of each step is divided by the target tokens of all its micro-batches on all
 * replicas, so it is the loss one device would compute over the same rows.
 *
 * <p>Micro-batches form one flat sequence over the epochs, so optimizer step s always consumes micro-batches
 * [s*accum, (s+1)*accum): the data position is a function of the step, which makes runs reproducible and
 * resumable. maxSteps, when set, overrides epochs (cycling through further epochs if needed).
 */
public final class TrainingLoop {

    private final Replicas replicas;
    private final TrainingData data;
    private final TrainingSpec spec;
    private final TrainingObserver observer;
    private final int microBatchRows;
    private final int batchesPerEpoch;
    private final int totalSteps;
    private final LrSchedule schedule;
    private long trainedTokens;
    private long lossTokens;
    private long started;
    private final EvalHistory history;
    private final SampleAnswers samples;

    /**
     * @param microBatchRows rows of one micro-batch over all replicas: batchSize x replicas for a fresh run, the
     *                       checkpoint's for a resumed one
     * @param history        the evaluations so far (restored from a checkpoint when resuming) and the early stopping
     *                       rule
     * @param samples        the prompts answered at every evaluation
     */
    public TrainingLoop(Replicas replicas, TrainingData data, TrainingSpec spec, int microBatchRows,
                        TrainingObserver observer, EvalHistory history, SampleAnswers samples) {
        this.replicas = replicas;
        this.data = data;
        this.spec = spec;
        this.observer = observer;
        this.microBatchRows = microBatchRows;
        this.history = history;
        this.samples = samples;
        this.batchesPerEpoch = data.train().batchesPerEpoch(microBatchRows);
        if (batchesPerEpoch == 0) {
            throw new IllegalArgumentException("the dataset has no trainable example");
        }
        this.totalSteps = totalSteps(spec, batchesPerEpoch);
        this.schedule = LrSchedule.of(spec.lrScheduler(), spec.learningRate(), spec.warmupRatio(), totalSteps);
    }

    /** Optimizer steps of the run: maxSteps, or every micro-batch of every epoch grouped by accumulation. */
    public static int totalSteps(TrainingSpec spec, int batchesPerEpoch) {
        if (spec.maxSteps() != null) {
            return spec.maxSteps();
        }
        long microBatches = (long) spec.epochs() * batchesPerEpoch;
        return (int) Math.max(1, (microBatches + spec.gradientAccumulationSteps() - 1)
                / spec.gradientAccumulationSteps());
    }

    public int totalSteps() {
        return totalSteps;
    }

    /** Called after every optimizer step, e.g. to checkpoint. */
    @FunctionalInterface
    public interface StepListener {
        /**
         * @param newBest whether this step's evaluation is the best so far (its adapter may be delivered)
         * @return true to stop training after this step (a graceful shutdown)
         */
        boolean afterStep(int stepsDone, boolean newBest);
    }

    /**
     * Runs steps [startStep, totalSteps), or until the listener asks to stop. Each row's dropout masks depend on
     * its position in the run alone ({@code Batch.rowKeys}), so a resumed run repeats them exactly, on any number of
     * replicas.
     */
    public LoopResult run(int startStep, AdamW optimizer, StepListener listener) {
        started = System.nanoTime();
        double windowLoss = 0;
        long windowLossTokens = 0;
        long windowTokens = 0;
        trainedTokens = 0;
        lossTokens = 0;
        double lastLoss = Double.NaN;
        Evaluation lastEval = null;
        String stopReason = null;
        int stepsRun = 0;
        if (startStep == 0 && !samples.isEmpty()) {
            observer.onSamples(samples.answer(0)); // the base model's answers: the adapter starts as a no-op
        }
        long windowStart = System.nanoTime();
        for (int step = startStep; step < totalSteps; step++) {
            List<List<Batch>> shares = shares(step);                                     // per replica
            long stepTargets = 0;
            long inputs = 0;
            for (List<Batch> share : shares) {
                for (Batch batch : share) {
                    stepTargets += batch.targetTokens();
                    inputs += batch.inputTokens();
                }
            }
            LossSum loss = replicas.forwardBackward(shares, 1f / Math.max(1, stepTargets));
            replicas.sumGradientsIntoFirst();
            windowLoss += loss.sum();
            windowLossTokens += loss.tokens();
            windowTokens += inputs;
            trainedTokens += inputs;
            lossTokens += loss.tokens();
            double gradNorm = optimizer.gradientNorm();
            double clip = spec.maxGradNorm() > 0 && gradNorm > spec.maxGradNorm()
                    ? spec.maxGradNorm() / (gradNorm + 1e-6) : 1.0;
            double lr = schedule.at(step);
            optimizer.step(lr, clip);
            optimizer.zeroGradients();
            replicas.copyWeightsFromFirst();
            stepsRun++;

            int done = step + 1;
            boolean evalNow = data.hasValidation()
                    && ((spec.evalEverySteps() > 0 && done % spec.evalEverySteps() == 0) || done == totalSteps);
            boolean newBest = false;
            if (evalNow) {
                lastEval = evaluate();
                newBest = history.record(done, lastEval.loss());
                stopReason = done < totalSteps ? history.stopReason() : null;
            }
            if (done % spec.logEverySteps() == 0 || done == totalSteps || evalNow) {
                long now = System.nanoTime();
                double windowSeconds = (now - windowStart) / 1e9;
                double elapsed = (now - started) / 1e9;
                lastLoss = windowLoss / Math.max(1, windowLossTokens);
                double eta = elapsed / stepsRun * (totalSteps - done);
                StepReport report = new StepReport(done, totalSteps, epochAt(done), lastLoss,
                        evalNow ? lastEval : null, best(), lr, gradNorm,
                        windowTokens / Math.max(1e-9, windowSeconds), trainedTokens, eta);
                observer.onReport(report);
                windowStart = now;
                windowLoss = 0;
                windowLossTokens = 0;
                windowTokens = 0;
            }
            if (evalNow && !samples.isEmpty()) {
                long begin = System.nanoTime();
                observer.onSamples(samples.answer(done));
                windowStart += System.nanoTime() - begin; // answering is not training: keep it out of tok/s
            }
            boolean stopRequested = listener.afterStep(done, newBest);
            if (stopRequested || stopReason != null) {
                break;
            }
        }
        return new LoopResult(startStep + stepsRun, lastLoss, lastEval, trainedTokens, lossTokens,
                (System.nanoTime() - started) / 1e9, epochAt(startStep + stepsRun), stopReason);
    }

    /** Input tokens of the steps the current (or last) call of {@link #run} has done so far. */
    public long trainedTokens() {
        return trainedTokens;
    }

    /** Tokens that carried loss in those steps. */
    public long lossTokens() {
        return lossTokens;
    }

    /** Seconds since the current (or last) call of {@link #run} began. */
    public double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** The best evaluation so far, or null. */
    private StepReport.Best best() {
        return history.any() ? new StepReport.Best(history.bestLoss(), history.bestStep()) : null;
    }

    /**
     * Loss, perplexity and next-token accuracy over the validation examples' loss tokens, without gradients, the
     * batches shared among the replicas.
     */
    public Evaluation evaluate() {
        LossSum total = LossSum.ZERO;
        int n = data.validation().batchesPerEpoch(spec.batchSize());
        for (LossSum loss : replicas.losses(n, i -> data.validation().batch(0, i, spec.batchSize()))) {
            total = total.plus(loss);
        }
        return new Evaluation(total.mean(), total.accuracy(), total.tokens());
    }

    /** The batches each replica runs for optimizer step {@code step}: its share of every micro-batch of the step. */
    private List<List<Batch>> shares(int step) {
        List<List<Batch>> shares = new ArrayList<>();
        for (int r = 0; r < replicas.size(); r++) {
            shares.add(new ArrayList<>());
        }
        long first = (long) step * spec.gradientAccumulationSteps();
        long lastExclusive = first + spec.gradientAccumulationSteps();
        if (spec.maxSteps() == null) {
            // Without maxSteps the final step takes what is left of the last epoch.
            lastExclusive = Math.min(lastExclusive, (long) spec.epochs() * batchesPerEpoch);
        }
        int size = data.train().size();
        for (long m = first; m < lastExclusive; m++) {
            int epoch = (int) (m / batchesPerEpoch);
            int firstRow = (int) (m % batchesPerEpoch) * microBatchRows;
            List<List<RowShares.Pass>> passes = RowShares.of(Math.min(microBatchRows, size - firstRow),
                    replicas.size(), spec.batchSize());
            for (int r = 0; r < passes.size(); r++) {
                for (RowShares.Pass pass : passes.get(r)) {
                    shares.get(r).add(data.train().rows(epoch, firstRow + pass.first(), pass.count()));
                }
            }
        }
        return shares;
    }

    private double epochAt(int stepsDone) {
        double epochs = (double) stepsDone * spec.gradientAccumulationSteps() / batchesPerEpoch;
        return spec.maxSteps() == null ? Math.min(epochs, spec.epochs()) : epochs;
    }

    /**
     * What a call of {@link #run} did; {@code stepsDone} counts steps before a resume too.
     *
     * @param finalEval  the last evaluation of this call, or null
     * @param stopReason why early stopping ended training, or null
     */
    public record LoopResult(int stepsDone, double finalLoss, Evaluation finalEval, long trainedTokens,
                             long lossTokens, double seconds, double epochs, String stopReason) {
    }
}
