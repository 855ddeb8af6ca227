package io.kubelora.operator.status;

import static io.kubelora.operator.ClusterFixtures.T0;
import static io.kubelora.operator.ClusterFixtures.T1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.Phase;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.Progress;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.api.TrainerResult;
import io.kubelora.api.Violation;
import io.kubelora.operator.ClusterFixtures;
import io.kubelora.operator.Runs;
import io.kubelora.operator.progress.TrainerSnapshot;
import io.kubelora.operator.resources.RunLabels;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RunStatusTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Instant LATER = NOW.plusSeconds(60);
    private static final String SUCCESS = "{\"adapterUri\":\"s3://merged/x/adapter\",\"mergedModelUri\":"
            + "\"s3://merged/x/model\",\"finalLoss\":1.2345678,\"steps\":900}";

    private final LoraFineTune run = Runs.full("x");
    private final Job job = ClusterFixtures.job(run);

    private LoraFineTuneStatus compute(Job job, Pod pod, LoraFineTuneStatus previous) {
        return RunStatus.compute(new RunObservation(run, List.of(), job, pod, false, null, NOW), previous);
    }

    private static Condition condition(LoraFineTuneStatus status, String type) {
        Condition c = Conditions.find(status.conditions(), type);
        assertNotNull(c, type + " condition missing");
        return c;
    }

    private static void assertCondition(LoraFineTuneStatus status, String type, String value, String reason) {
        Condition c = condition(status, type);
        assertEquals(value, c.getStatus(), type + " status");
        assertEquals(reason, c.getReason(), type + " reason");
    }

    @Test
    void aRunThePolicyForbidsFailsWithoutAJob() {
        StartGate gate = new StartGate(new ProfileReference("qlora", "7"), List.of(new Violation("spec.image",
                "'evil:1' is not allowed by FineTunePolicy team-a (allowedImages: registry.example/)")), null);
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), null, null, false, null, NOW,
                null, null, gate), null);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.READY, "False", RunStatus.POLICY_VIOLATION);
        assertCondition(s, Conditions.STALLED, "True", RunStatus.POLICY_VIOLATION);
        assertCondition(s, Conditions.VALIDATED, "False", RunStatus.POLICY_VIOLATION);
        assertTrue(s.message().contains("spec.image: 'evil:1' is not allowed by FineTunePolicy team-a"), s.message());
        assertEquals(new ProfileReference("qlora", "7"), s.profile());
        assertNull(s.jobName());
    }

    @Test
    void aRunWaitingForQuotaIsPendingAndStillReconciling() {
        StartGate gate = StartGate.waiting(null, "WaitingForQuota", "waiting for one of the 2 runs", false);
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), null, null, false, null, NOW,
                null, null, gate), null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.RECONCILING, "True", "WaitingForQuota");
        assertCondition(s, Conditions.STALLED, "False", "WaitingForQuota");
        assertCondition(s, Conditions.VALIDATED, "True", "Valid");
        // Once the run has its Job, the profile it was made from stays recorded.
        LoraFineTuneStatus started = RunStatus.compute(new RunObservation(run, List.of(), null, null, false, null,
                NOW, null, null, new StartGate(new ProfileReference("qlora", "7"), List.of(), null)), s);
        assertEquals(new ProfileReference("qlora", "7"), compute(job, null, started).profile());
    }

    @Test
    void previousJobStillBeingDeletedKeepsTheNewRunPending() {
        Job leaving = ClusterFixtures.finished(job, "Failed", "BackoffLimitExceeded", "failed");
        leaving.getMetadata().setDeletionTimestamp(T1);
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), null, null, false, null, NOW,
                leaving), RunStatus.forNewRun(compute(leaving, null, null)));
        assertEquals(Phase.Pending, s.phase());
        assertEquals("waiting for the previous training Job x to be deleted", s.message());
        assertCondition(s, Conditions.READY, "False", "Creating");
        assertNull(s.jobName());
        assertNull(s.completionTime());
    }

    @Test
    void invalidSpecWithoutJobFailsNamingTheFields() {
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run,
                List.of(new Violation("spec.lora.rank", "must be at least 1 (was 0)")), null, null, false, null, NOW),
                null);
        assertEquals(Phase.Failed, s.phase());
        assertTrue(s.message().contains("spec.lora.rank"), s.message());
        assertCondition(s, Conditions.VALIDATED, "False", "InvalidSpec");
        assertTrue(condition(s, Conditions.VALIDATED).getMessage().contains("spec.lora.rank"));
        assertCondition(s, Conditions.STALLED, "True", "InvalidSpec");
        assertCondition(s, Conditions.READY, "False", "InvalidSpec");
        assertCondition(s, Conditions.RECONCILING, "False", "InvalidSpec");
        assertNull(s.jobName());
        assertEquals(T(NOW), s.completionTime());
        assertFalse(RunStatus.finishedAndCleanedUp(s), "an invalid spec never ran: fixing it must start a run");
    }

    @Test
    void validSpecWithoutJobIsPendingAndReconciling() {
        LoraFineTuneStatus s = compute(null, null, null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.RECONCILING, "True", "Creating");
        assertCondition(s, Conditions.VALIDATED, "True", "Valid");
        assertCondition(s, Conditions.STALLED, "False", "Creating");
        assertCondition(s, Conditions.MERGED, "False", "Creating");
        assertEquals(1L, s.observedGeneration());
        assertEquals(1L, condition(s, Conditions.READY).getObservedGeneration());
    }

    @Test
    void jobWithoutPodIsStarting() {
        LoraFineTuneStatus s = compute(job, null, null);
        assertEquals(Phase.Pending, s.phase());
        assertEquals("x", s.jobName());
        assertCondition(s, Conditions.READY, "False", "Starting");
        assertNull(s.startTime());
    }

    @Test
    void unschedulablePodStallsThePendingRun() {
        LoraFineTuneStatus s = compute(job, ClusterFixtures.unschedulable(job,
                "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."), null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.STALLED, "True", "Unschedulable");
        assertCondition(s, Conditions.RECONCILING, "False", "Unschedulable");
        assertTrue(s.message().contains("Insufficient nvidia.com/gpu"));
    }

    @Test
    void imagePullAndConfigErrorsStallThePendingRun() {
        for (String reason : List.of("ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError")) {
            LoraFineTuneStatus s = compute(job, ClusterFixtures.waiting(job, reason, "problem " + reason), null);
            assertEquals(Phase.Pending, s.phase(), reason);
            assertCondition(s, Conditions.STALLED, "True", reason);
            assertEquals("problem " + reason, s.message());
        }
    }

    @Test
    void runningPodIsRunningWithThePodsStartTime() {
        LoraFineTuneStatus s = compute(job, ClusterFixtures.running(job, "10.0.0.7"), null);
        assertEquals(Phase.Running, s.phase());
        assertEquals(T0, s.startTime());
        assertCondition(s, Conditions.RECONCILING, "True", "Training");
        assertCondition(s, Conditions.TRAINED, "False", "Training");
        assertNull(s.progress());
    }

    @Test
    void progressIsStampedOnlyWhenItsNumbersChange() {
        Pod pod = ClusterFixtures.running(job, "10.0.0.7");
        Progress read = new Progress(120L, 900L, null, 0.4, 1.8, null, null, null, 2100.0, "1h02m", null);
        LoraFineTuneStatus first = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(read, false), NOW), null);
        assertEquals("120/900", first.progress().steps());
        assertEquals(T(NOW), first.progress().lastUpdateTime());
        // Within a minute the GPU time is not written again either.
        LoraFineTuneStatus same = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(read, false), NOW.plusSeconds(30)), first);
        assertEquals(first, same, "same numbers: nothing to patch");
        Progress moved = new Progress(130L, 900L, null, 0.43, 1.7, null, null, null, 2100.0, "1h00m", null);
        LoraFineTuneStatus next = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(moved, false), LATER), first);
        assertEquals(130L, next.progress().step());
        assertEquals(T(LATER), next.progress().lastUpdateTime());
        LoraFineTuneStatus unread = compute(job, pod, next);
        assertSame(next.progress(), unread.progress(), "no read: keep the last progress");
    }

    @Test
    void mergingIsReportedFromTheTrainerAndKeptBetweenReads() {
        Pod pod = ClusterFixtures.running(job, "10.0.0.7");
        LoraFineTuneStatus merging = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(new Progress(900L, 900L, null, 1.0, 1.2, null, null, null, null, null, null),
                        true), NOW),
                null);
        assertEquals(Phase.Merging, merging.phase());
        assertCondition(merging, Conditions.MERGED, "False", "Merging");
        assertEquals(Phase.Merging, compute(job, pod, merging).phase());
    }

    @Test
    void mergingLastsUntilTheRunEndsOnceTrainingIsOver() {
        Pod pod = ClusterFixtures.running(job, "10.0.0.7");
        Progress last = new Progress(900L, 900L, null, 1.0, 1.2, null, null, null, null, null, null);
        LoraFineTuneStatus merging = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(last, true), NOW), null);
        LoraFineTuneStatus uploading = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(last, false), LATER), merging);
        assertEquals(Phase.Merging, uploading.phase(), "the merge is over, the reports are being uploaded");

        LoraFineTuneStatus exited = compute(job, ClusterFixtures.terminated(job, "Succeeded", "Completed", 0, SUCCESS),
                uploading);
        assertEquals(Phase.Merging, exited.phase(), "the pod ended, the Job is not Complete yet");
        assertCondition(exited, Conditions.READY, "False", "Finishing");

        Progress resumed = new Progress(300L, 900L, null, 0.3, 1.6, null, null, null, null, null, null);
        LoraFineTuneStatus retried = RunStatus.compute(new RunObservation(run, List.of(), job, pod, false,
                new TrainerSnapshot(resumed, false), LATER), merging);
        assertEquals(Phase.Running, retried.phase(), "a retried pod trains again");
    }

    @Test
    void finishedPodOfAnIncompleteJobKeepsTheRunRunning() {
        LoraFineTuneStatus running = compute(job, ClusterFixtures.running(job, "10.0.0.7"), null);
        LoraFineTuneStatus exited = compute(job, ClusterFixtures.terminated(job, "Succeeded", "Completed", 0, SUCCESS),
                running);
        assertEquals(Phase.Running, exited.phase());
        assertCondition(exited, Conditions.RECONCILING, "True", "Finishing");
    }

    @Test
    void completedJobSucceedsWithTheTrainersResult() {
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "Reached expected number");
        LoraFineTuneStatus previous = RunStatus.compute(new RunObservation(run, List.of(), job,
                ClusterFixtures.running(job, "10.0.0.7"), false,
                new TrainerSnapshot(new Progress(880L, 900L, null, 0.98, 1.3, null, null, null, 2000.0, "10s", null),
                        false),
                NOW), null);
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), done,
                ClusterFixtures.terminated(done, "Succeeded", "Completed", 0, SUCCESS), false, null, LATER), previous);
        assertEquals(Phase.Succeeded, s.phase());
        assertEquals("s3://merged/x/adapter", s.adapterUri());
        assertEquals("s3://merged/x/model", s.mergedModelUri());
        assertEquals(T1, s.completionTime());
        assertEquals(T0, s.startTime());
        assertEquals(900L, s.progress().step());
        assertEquals(1.235, s.progress().loss(), "the final loss as the Loss column shows it");
        assertNull(s.progress().eta());
        assertCondition(s, Conditions.READY, "True", "Succeeded");
        assertCondition(s, Conditions.TRAINED, "True", "Succeeded");
        assertCondition(s, Conditions.MERGED, "True", "Merged");
        assertCondition(s, Conditions.STALLED, "False", "Succeeded");
        assertCondition(s, Conditions.RECONCILING, "False", "Succeeded");
        assertTrue(RunStatus.finishedAndCleanedUp(s));
    }

    @Test
    void anEarlyStoppedRunSaysWhichAdapterItDeliveredAndWhy() {
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
        String result = new TrainerResult("s3://merged/x/adapter", null, 0.8, 600L, 1.4, 1.25, 400L, 400L,
                "eval loss did not improve by more than 0 for 2 evaluations").toJson();
        LoraFineTuneStatus previous = RunStatus.compute(new RunObservation(run, List.of(), job,
                ClusterFixtures.running(job, "10.0.0.7"), false, new TrainerSnapshot(new Progress(600L, 900L, null,
                        0.6, 0.9, 1.4, 1.25, 400L, 2000.0, "5m", null), false), NOW), null);
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), done,
                ClusterFixtures.terminated(done, "Succeeded", "Completed", 0, result), false, null, LATER), previous);
        assertEquals(Phase.Succeeded, s.phase());
        assertEquals("training finished; adapter at s3://merged/x/adapter (the best evaluation, step 400 of 600); "
                + "best eval loss 1.2500 at step 400; stopped early: eval loss did not improve by more than 0 for 2 "
                + "evaluations", s.message());
        assertEquals("600/900", s.progress().steps(), "stopped early: the planned total stays");
        assertEquals(1.4, s.progress().evalLoss());
        assertEquals(1.25, s.progress().bestEvalLoss());
        assertEquals(400L, s.progress().bestEvalStep());
        assertCondition(s, Conditions.READY, "True", "Succeeded");
    }

    @Test
    void completedJobWithoutResultSaysSo() {
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
        LoraFineTuneStatus s = compute(done, null, null);
        assertEquals(Phase.Succeeded, s.phase());
        assertNull(s.adapterUri());
        assertTrue(s.message().contains("no adapter location"), s.message());
        assertCondition(s, Conditions.MERGED, "False", "NoMergedModel");
    }

    @Test
    void backoffLimitFailureCarriesTheTrainersMessage() {
        Job failed = ClusterFixtures.finished(job, "Failed", "BackoffLimitExceeded",
                "Job has reached the specified backoff limit");
        LoraFineTuneStatus s = compute(failed, ClusterFixtures.terminated(failed, "Failed", "Error", 1,
                "spec.dataset.uri: s3://data/alpaca.jsonl: NoSuchKey"), null);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.STALLED, "True", "BackoffLimitExceeded");
        assertCondition(s, Conditions.TRAINED, "False", "BackoffLimitExceeded");
        assertTrue(s.message().contains("trainer: spec.dataset.uri: s3://data/alpaca.jsonl: NoSuchKey"), s.message());
        assertTrue(s.message().startsWith("Job has reached the specified backoff limit"), s.message());
        assertEquals(T1, s.completionTime());
    }

    @Test
    void oomKilledPodIsTheFailureReason() {
        Job failed = ClusterFixtures.finished(job, "Failed", "BackoffLimitExceeded", "backoff limit");
        LoraFineTuneStatus s = compute(failed, ClusterFixtures.terminated(failed, "Failed", "OOMKilled", 137, null),
                null);
        assertCondition(s, Conditions.READY, "False", "OOMKilled");
        assertTrue(s.message().contains("ran out of memory"), s.message());
    }

    @Test
    void deadlineExceededWithoutPodIsTheJobsReason() {
        Job failed = ClusterFixtures.finished(job, "Failed", "DeadlineExceeded",
                "Job was active longer than specified deadline");
        LoraFineTuneStatus s = compute(failed, null, null);
        assertCondition(s, Conditions.STALLED, "True", "DeadlineExceeded");
        assertEquals("Job was active longer than specified deadline", s.message());
    }

    @Test
    void deadlineAfterAStallKeepsTheRootCause() {
        LoraFineTuneStatus stalled = compute(job, ClusterFixtures.unschedulable(job, "0/3 nodes: no GPU"), null);
        Job failed = ClusterFixtures.finished(job, "Failed", "DeadlineExceeded", "deadline");
        // The Job controller deletes the pending pod when the deadline passes.
        LoraFineTuneStatus s = compute(failed, null, stalled);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.STALLED, "True", "Unschedulable");
        assertEquals("deadline; 0/3 nodes: no GPU", s.message());
    }

    @Test
    void failedJobWithoutReasonIsJobFailed() {
        Job failed = ClusterFixtures.finished(job, "Failed", null, null);
        LoraFineTuneStatus s = compute(failed, null, null);
        assertCondition(s, Conditions.READY, "False", "JobFailed");
        assertEquals("the training Job failed (JobFailed)", s.message());
    }

    @Test
    void suspendedJobIsSuspendedAndNotReconciling() {
        LoraFineTuneStatus s = compute(ClusterFixtures.suspended(job, true), null, null);
        assertEquals(Phase.Suspended, s.phase());
        assertCondition(s, Conditions.RECONCILING, "False", "Suspended");
        assertCondition(s, Conditions.STALLED, "False", "Suspended");
    }

    @Test
    void queuedJobWaitsForKueue() {
        run.getMetadata().setLabels(Map.of(RunLabels.KUEUE_QUEUE, "team-a"));
        LoraFineTuneStatus s = compute(ClusterFixtures.suspended(ClusterFixtures.job(run), true), null, null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.RECONCILING, "True", "Queued");
        assertTrue(s.message().contains("team-a"));
    }

    @Test
    void failedPodOfAnActiveJobIsRetrying() {
        LoraFineTuneStatus s = compute(job, ClusterFixtures.terminated(job, "Failed", "OOMKilled", 137, null), null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.RECONCILING, "True", "Retrying");
        assertTrue(s.message().contains("OOMKilled"));
    }

    @Test
    void disruptedPodIsReplacedNotFailed() {
        Pod preempted = ClusterFixtures.disrupted(ClusterFixtures.terminated(job, "Failed", "Error", 143,
                "stopped by SIGTERM after step 40/900"), "PreemptionByScheduler", "preempted by team-b/urgent");
        LoraFineTuneStatus s = compute(job, preempted, null);
        assertEquals(Phase.Pending, s.phase());
        assertCondition(s, Conditions.RECONCILING, "True", "Disrupted");
        assertCondition(s, Conditions.STALLED, "False", "Disrupted");
        assertTrue(s.message().contains("PreemptionByScheduler") && s.message().contains("resumes from the last "
                + "checkpoint"), s.message());
    }

    @Test
    void podFailurePolicyFailureIsNamedAfterTheTrainersExitCode() {
        Job failed = ClusterFixtures.finished(job, "Failed", "PodFailurePolicy",
                "Container trainer for pod test/x-x7k2p failed with exit code 3 matching FailJob rule at index 1");
        LoraFineTuneStatus s = compute(failed, ClusterFixtures.terminated(failed, "Failed", "Error", 3,
                "train.jsonl:7: invalid JSON"), null);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.STALLED, "True", "BadData");
        assertTrue(s.message().endsWith("trainer: train.jsonl:7: invalid JSON"), s.message());
    }

    /** A plan that cannot fit the GPU and an out-of-memory GPU fail the run at once, named by their reason. */
    @ParameterizedTest
    @EnumSource(value = TrainerExitCode.class, names = {"WONT_FIT", "OUT_OF_GPU_MEMORY"})
    void memoryFailuresAreNamedAndNotRetried(TrainerExitCode code) {
        assertTrue(TrainerExitCode.retryCannotHelp().contains(code.code()), "the Job's FailJob rule lists it");
        Job failed = ClusterFixtures.finished(job, "Failed", "PodFailurePolicy", "Container trainer for pod "
                + "test/x-x7k2p failed with exit code " + code.code() + " matching FailJob rule at index 1");
        String trainer = "the run cannot fit the GPU: its memory plan needs 16.79 GiB of the 16.00 GiB the GPU has";
        LoraFineTuneStatus s = compute(failed, ClusterFixtures.terminated(failed, "Failed", "Error", code.code(),
                trainer), null);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.STALLED, "True", code.reason());
        assertTrue(s.message().endsWith("trainer: " + trainer), s.message());
    }

    @Test
    void gpusTheTrainerCannotUseFailTheRunAsGpuUnavailable() {
        String seen = "GpuUnavailable: the pod has 1 GPU(s) (KUBELORA_POD_GPUS) asks for 1 GPU (cuda:0) but libtorch "
                + "2.7.1 sees no usable CUDA device: libtorch sees no CUDA device: the CUDA runtime says: CUDA driver "
                + "version is insufficient for CUDA runtime version (cudaError 35)";
        Job failed = ClusterFixtures.finished(job, "Failed", "PodFailurePolicy",
                "Container trainer for pod test/x-x7k2p failed with exit code 6 matching FailJob rule at index 1");
        LoraFineTuneStatus s = compute(failed, ClusterFixtures.terminated(failed, "Failed", "Error", 6, seen), null);
        assertEquals(Phase.Failed, s.phase());
        assertCondition(s, Conditions.STALLED, "True", "GpuUnavailable");
        assertTrue(s.message().endsWith("trainer: " + seen), s.message());
    }

    @Test
    void finishedRunKeepsItsStatusAfterTheJobIsDeleted() {
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
        LoraFineTuneStatus succeeded = compute(done,
                ClusterFixtures.terminated(done, "Succeeded", "Completed", 0, SUCCESS), null);
        LoraFineTuneStatus afterTtl = RunStatus.compute(
                new RunObservation(run, List.of(), null, null, false, null, LATER), succeeded);
        assertEquals(succeeded, afterTtl);
    }

    @Test
    void specChangeAfterTheJobExistsIsReportedNotApplied() {
        LoraFineTuneStatus s = RunStatus.compute(new RunObservation(run, List.of(), job,
                ClusterFixtures.running(job, "10.0.0.7"), true, null, NOW), null);
        assertEquals(Phase.Running, s.phase());
        assertCondition(s, Conditions.SPEC_CHANGE_IGNORED, "True", "JobImmutable");
        assertTrue(condition(s, Conditions.SPEC_CHANGE_IGNORED).getMessage().contains(RunLabels.RESTART_ANNOTATION));
    }

    @Test
    void transitionTimeMovesOnlyWhenAConditionFlips() {
        LoraFineTuneStatus pending = compute(job, null, null);
        LoraFineTuneStatus running = RunStatus.compute(new RunObservation(run, List.of(), job,
                ClusterFixtures.running(job, "10.0.0.7"), false, null, LATER), pending);
        // Reconciling stays True (reason changes), Ready stays False: their times stay.
        assertEquals(T(NOW), condition(running, Conditions.RECONCILING).getLastTransitionTime());
        assertEquals(T(NOW), condition(running, Conditions.READY).getLastTransitionTime());
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
        Instant end = LATER.plusSeconds(60);
        LoraFineTuneStatus succeeded = RunStatus.compute(new RunObservation(run, List.of(), done, null, false, null,
                end), running);
        assertEquals(T(end), condition(succeeded, Conditions.READY).getLastTransitionTime());
        assertEquals(T(end), condition(succeeded, Conditions.RECONCILING).getLastTransitionTime());
        assertEquals(T(NOW), condition(succeeded, Conditions.STALLED).getLastTransitionTime());
    }

    @Test
    void newGenerationIsObserved() {
        LoraFineTuneStatus first = compute(job, null, null);
        run.getMetadata().setGeneration(2L);
        LoraFineTuneStatus second = compute(job, null, first);
        assertEquals(2L, second.observedGeneration());
        assertTrue(second.conditions().stream().allMatch(c -> c.getObservedGeneration() == 2L));
    }

    @Test
    void newRunKeepsOnlyTheConditions() {
        Job done = ClusterFixtures.finished(job, "Complete", "CompletionsReached", "done");
        LoraFineTuneStatus succeeded = compute(done,
                ClusterFixtures.terminated(done, "Succeeded", "Completed", 0, SUCCESS), null);
        LoraFineTuneStatus fresh = RunStatus.forNewRun(succeeded);
        assertNull(fresh.phase());
        assertNull(fresh.adapterUri());
        assertNull(fresh.jobName());
        assertEquals(succeeded.conditions(), fresh.conditions());
        assertEquals(Phase.Pending, compute(job, null, fresh).phase());
        assertNull(RunStatus.forNewRun(null));
    }

    private static String T(Instant instant) {
        return instant.toString();
    }
}
