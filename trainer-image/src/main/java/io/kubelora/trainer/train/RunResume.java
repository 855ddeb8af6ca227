package io.kubelora.trainer.train;

import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.ResumePolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a run starts: from the newest checkpoint of its configuration, restored into every replica with the reports
 * it carried, or from step 0 (no checkpoint, or training.resume: never, which deletes them first).
 */
final class RunResume {

    /** Where training starts: the step, and the rows of one micro-batch over all replicas. */
    record Start(int step, int microBatchRows) {
    }

    private final LoraFineTuneSpec spec;
    private final PrintStream log;

    RunResume(LoraFineTuneSpec spec, PrintStream log) {
        this.spec = spec;
        this.log = log;
    }

    /** Restores {@code checkpoint} into every replica and returns its state; null when the run starts over. */
    Checkpoints.State restore(Checkpoints checkpoints, Optional<Checkpoints.Found> checkpoint, TrainingState state,
                              Path reportDir) throws IOException {
        if (spec.training().resume() == ResumePolicy.NEVER) {
            checkpoints.clear();
            return null;
        }
        if (checkpoint.isEmpty()) {
            return null;
        }
        for (int skipped : checkpoint.get().skipped()) {
            log.println("Checkpoint step-" + skipped + " of " + checkpoints.folderUri() + " is incomplete (its writer"
                    + " was interrupted): passed over");
        }
        long begin = System.nanoTime();
        int step = checkpoints.restore(checkpoint.get(), state.adapters(), state.optimizer(), reportDir);
        state.replicas().copyWeightsFromFirst();
        log.printf(Locale.ROOT, "Resumed from checkpoint step-%d of %s in %.1f s%n", step, checkpoints.folderUri(),
                (System.nanoTime() - begin) / 1e9);
        return checkpoint.get().state();
    }

    /**
     * At the {@code resumed} checkpoint's step with the rows per micro-batch it was written with (whatever the
     * replica count now), else at step 0 with training.batchSize rows per replica.
     */
    Start start(Checkpoints.State resumed, int replicas) {
        Start fresh = new Start(0, spec.training().batchSize() * replicas);
        if (resumed == null) {
            return fresh;
        }
        // Checkpoints from before data parallelism were written by one replica of batchSize rows.
        int rows = resumed.microBatchRows() != null ? resumed.microBatchRows() : spec.training().batchSize();
        int writtenBy = resumed.replicas() != null ? resumed.replicas() : 1;
        if (rows != fresh.microBatchRows()) {
            log.printf(Locale.ROOT, "The checkpoint was written by %d replica(s), this run has %d: micro-batches keep "
                            + "their %d rows, so the run goes on with the same batches, schedule and step count; each "
                            + "replica takes up to %d of them, in passes of at most %d (training.batchSize)%n",
                    writtenBy, replicas, rows, (rows + replicas - 1) / replicas, spec.training().batchSize());
        }
        return new Start(resumed.step(), rows);
    }
}
