package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a run has done over all the processes that worked on it (a killed or preempted run resumes in a new one),
 * up to its newest checkpoint. Each checkpoint carries them, so the summary of a resumed run covers the whole run.
 * A process killed without a checkpoint (SIGKILL) loses the work after its last one; that work is done again and
 * counted once.
 *
 * @param processes       processes that trained, this one included
 * @param trainedTokens   input tokens of every optimizer step (padding included)
 * @param lossTokens      tokens that carried loss
 * @param trainSeconds    time spent in the training loop
 * @param wallTimeSeconds time from each process's start to its checkpoint (or end)
 * @param peakRssBytes    the largest peak resident memory of any of the processes
 */
public record RunTotals(
        @JsonProperty("processes") int processes,
        @JsonProperty("trained_tokens") long trainedTokens,
        @JsonProperty("loss_tokens") long lossTokens,
        @JsonProperty("train_seconds") double trainSeconds,
        @JsonProperty("wall_time_seconds") double wallTimeSeconds,
        @JsonProperty("peak_rss_bytes") long peakRssBytes) {

    /** Before any process trained. */
    public static final RunTotals NONE = new RunTotals(0, 0, 0, 0, 0, 0);

    /** These totals plus what this process did so far. */
    RunTotals plus(long tokens, long losses, double loopSeconds, double wallSeconds, long peakRss) {
        return new RunTotals(processes + 1, trainedTokens + tokens, lossTokens + losses, trainSeconds + loopSeconds,
                wallTimeSeconds + wallSeconds, Math.max(peakRssBytes, peakRss));
    }
}
