package io.kubelora.trainer.train;

/** Receives the training loop's reports: logs, metrics, progress display. */
public interface TrainingObserver {

    /** Called every logEverySteps steps, at the last step, and whenever evaluation loss was measured. */
    void onReport(StepReport report);

    /** Called once when the loop has finished its last step. */
    default void onFinished(RunSummary summary) {
    }
}
