package io.kubelora.trainer.train;

/** The stages of a run after its optimizer steps, in order; observers hear of each change. */
public enum RunPhase {
    /** Folding the adapter into the base model and publishing the merged model (when merge is enabled). */
    MERGING,
    /** Writing the run's reports (summary.json, loss.png) and uploading them. */
    REPORTING
}
