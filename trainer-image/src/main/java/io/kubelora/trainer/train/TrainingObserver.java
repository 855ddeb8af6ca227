package io.kubelora.trainer.train;

/**
 * Receives a run's lifecycle and the training loop's reports: logs, metrics, progress display. Every hook but
 * {@link #onReport} does nothing unless an observer needs it.
 */
public interface TrainingObserver {

    /** Called once before the first step, when the total is known (steps already done when resumed). */
    default void onStart(RunStart start) {
    }

    /** Called every logEverySteps steps, at the last step, and whenever evaluation loss was measured. */
    void onReport(StepReport report);

    /** Called with the model's answers to the evaluation prompts, at every evaluation and once at the end. */
    default void onSamples(java.util.List<Sample> samples) {
    }

    /** Called when the run moves on to {@code phase} after training. */
    default void onPhase(RunPhase phase) {
    }

    /** Called once when the run has delivered its results. */
    default void onFinished(RunSummary summary) {
    }
}
