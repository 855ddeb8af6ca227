package io.kubelora.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.Phase;
import io.kubelora.api.Progress;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.api.TrainerResult;
import io.kubelora.api.Violation;
import io.kubelora.operator.resources.RunLabels;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The status of a run as one pure function of what the cluster says ({@link RunObservation}) and the
 * previous status (for transition times and for what outlives the Job: its result after the Job's TTL).
 */
public final class RunStatus {

    /** Phase plus the reason and message every condition of this state shares. */
    record Verdict(Phase phase, String reason, String message, boolean stalled) {
    }

    /** The reason of a run that its profile's locks or its namespace's FineTunePolicies forbid. */
    public static final String POLICY_VIOLATION = "PolicyViolation";

    private RunStatus() {
    }

    public static LoraFineTuneStatus compute(RunObservation o, LoraFineTuneStatus previous) {
        LoraFineTuneStatus prev = previous != null ? previous : LoraFineTuneStatus.builder().build();
        Job job = o.job();
        TerminationMessage message = TerminationMessage.parse(PodDiagnosis.terminationMessage(o.pod()));
        TrainerResult result = message == null ? null : message.result();
        Verdict verdict = verdict(o, prev, message);
        Phase phase = verdict.phase();
        boolean succeeded = phase == Phase.Succeeded;

        String adapterUri = succeeded && result != null ? result.adapterUri() : prev.adapterUri();
        String mergedUri = succeeded && result != null ? result.mergedModelUri() : prev.mergedModelUri();
        String now = rfc3339(o.now());
        String startTime = firstNonNull(o.pod() == null || o.pod().getStatus() == null
                ? null : o.pod().getStatus().getStartTime(), prev.startTime(),
                phase.isFinal() && job != null && job.getStatus() != null ? job.getStatus().getStartTime() : null);
        String completionTime = phase.isFinal() ? firstNonNull(completionTime(job), prev.completionTime(), now) : null;
        long generation = generation(o);
        List<Condition> conditions = Conditions.stamp(conditions(o, verdict, mergedUri), prev.conditions(),
                generation, now);
        GpuTime.Usage gpuTime = GpuTime.next(new GpuTime.Usage(prev.gpuSeconds(), prev.gpuSecondsObservedAt()),
                o.pods(), o.now());
        return LoraFineTuneStatus.builder().phase(phase).conditions(conditions).observedGeneration(generation)
                .jobName(job != null ? job.getMetadata().getName() : prev.jobName())
                .startTime(startTime).completionTime(completionTime).adapterUri(adapterUri).mergedModelUri(mergedUri)
                .message(verdict.message()).progress(progress(o, prev.progress(), succeeded ? result : null, now))
                .profile(o.gate().profile() != null ? o.gate().profile() : prev.profile())
                .gpuSeconds(gpuTime.seconds()).gpuSecondsObservedAt(gpuTime.observedAt())
                .build();
    }

    /** True when the run ended and its Job was since deleted (spec.ttlSecondsAfterFinished): nothing to redo. */
    public static boolean finishedAndCleanedUp(LoraFineTuneStatus status) {
        return status != null && status.phase() != null && status.phase().isFinal() && status.jobName() != null;
    }

    /** The status to start a new run from (restart annotation): only the conditions' history stays. */
    public static LoraFineTuneStatus forNewRun(LoraFineTuneStatus status) {
        return status == null ? null
                : LoraFineTuneStatus.builder().conditions(status.conditions())
                        .observedGeneration(status.observedGeneration()).build();
    }

    /** The Ready condition's reason: the most specific word for the state, used for Events. */
    public static String reason(LoraFineTuneStatus status) {
        Condition ready = status == null ? null : Conditions.find(status.conditions(), Conditions.READY);
        return ready == null ? null : ready.getReason();
    }

    static Verdict verdict(RunObservation o, LoraFineTuneStatus prev, TerminationMessage message) {
        Job job = o.job();
        if (job == null && finishedAndCleanedUp(prev)) {
            return new Verdict(prev.phase(), reason(prev), prev.message(), prev.phase() == Phase.Failed);
        }
        if (job == null && !o.violations().isEmpty()) {
            return new Verdict(Phase.Failed, "InvalidSpec", "invalid spec: " + describe(o.violations()), true);
        }
        if (job == null && !o.gate().policyViolations().isEmpty()) {
            return new Verdict(Phase.Failed, POLICY_VIOLATION, "refused by the namespace's policy: "
                    + describe(o.gate().policyViolations()), true);
        }
        if (job == null && o.deleting() != null) {
            return new Verdict(Phase.Pending, "Creating", "waiting for the previous training Job "
                    + o.deleting().getMetadata().getName() + " to be deleted", false);
        }
        StartGate.Waiting waiting = o.gate().waiting();
        if (job == null && waiting != null) {
            return new Verdict(Phase.Pending, waiting.reason(), waiting.message(), waiting.stalled());
        }
        if (job == null) {
            return new Verdict(Phase.Pending, "Creating", "creating the training Job", false);
        }
        if (jobCondition(job, "Complete") != null) {
            return new Verdict(Phase.Succeeded, "Succeeded", message != null && message.isSuccess()
                    ? message.result().describe()
                    : "training finished; the trainer reported no adapter location", false);
        }
        PodDiagnosis problem = PodDiagnosis.of(o.pod());
        JobCondition failed = jobCondition(job, "Failed");
        if (failed != null) {
            return failure(failed, problem, trainerExit(o.pod()), message, prev);
        }
        if (Boolean.TRUE.equals(job.getSpec().getSuspend())) {
            String queue = job.getMetadata().getLabels() == null ? null
                    : job.getMetadata().getLabels().get(RunLabels.KUEUE_QUEUE);
            if (queue != null && !o.run().getSpec().suspend()) {
                return new Verdict(Phase.Pending, "Queued", "waiting for Kueue to admit the Job (queue " + queue + ")",
                        false);
            }
            return new Verdict(Phase.Suspended, "Suspended", "suspended; set spec.suspend to false to resume", false);
        }
        if (problem != null && problem.blocking()) {
            return new Verdict(Phase.Pending, problem.reason(), problem.message(), true);
        }
        if (PodDiagnosis.isTraining(o.pod())) {
            return merging(o, prev)
                    ? new Verdict(Phase.Merging, "Merging", "merging the adapter into the base model", false)
                    : new Verdict(Phase.Running, "Training", "training", false);
        }
        if (o.pod() != null && o.pod().getStatus() != null && "Succeeded".equals(o.pod().getStatus().getPhase())) {
            // The trainer is done but the Job controller has not marked the Job Complete yet: the run is still
            // in its last stage, not starting over.
            return new Verdict(prev.phase() == Phase.Merging ? Phase.Merging : Phase.Running, "Finishing",
                    "the trainer finished; waiting for the Job to complete", false);
        }
        if (problem != null && PodDiagnosis.DISRUPTED.equals(problem.reason())) {
            return new Verdict(Phase.Pending, problem.reason(), problem.message(), false);
        }
        if (problem != null) {
            return new Verdict(Phase.Pending, "Retrying", "the last training pod failed (" + problem.reason() + ": "
                    + problem.message() + "); the Job starts another one", false);
        }
        return new Verdict(Phase.Pending, "Starting", "waiting for the training pod to start", false);
    }

    /** The trainer's documented exit code, when its container ended with one. */
    private static TrainerExitCode trainerExit(Pod pod) {
        Integer code = PodDiagnosis.exitCode(pod);
        return code == null ? null : TrainerExitCode.of(code).orElse(null);
    }

    /**
     * Whether the trainer is merging, from its metrics. Once it was, the run stays Merging while the trainer
     * uploads its reports after the merge (training is over: step = totalSteps), and between reads.
     */
    private static boolean merging(RunObservation o, LoraFineTuneStatus prev) {
        boolean wasMerging = prev.phase() == Phase.Merging;
        if (o.snapshot() == null) {
            return wasMerging;
        }
        Progress p = o.snapshot().progress();
        boolean trainingOver = p != null && p.step() != null && p.totalSteps() != null && p.step() >= p.totalSteps();
        return o.snapshot().merging() || (wasMerging && trainingOver);
    }

    /**
     * A failed Job. The root cause seen on the pod (now, or as the previous Stalled reason: the Job
     * controller deletes pods that outlive the deadline) beats the Job's own reason.
     */
    private static Verdict failure(JobCondition failed, PodDiagnosis problem, TrainerExitCode exit,
            TerminationMessage message, LoraFineTuneStatus prev) {
        String jobReason = failed.getReason() == null ? "JobFailed" : failed.getReason();
        Condition stalled = Conditions.find(prev.conditions(), Conditions.STALLED);
        String reason;
        String detail;
        if (problem != null && PodDiagnosis.ROOT_CAUSES.contains(problem.reason())) {
            reason = problem.reason();
            detail = problem.message();
        } else if (stalled != null && "True".equals(stalled.getStatus())
                && PodDiagnosis.ROOT_CAUSES.contains(stalled.getReason())) {
            reason = stalled.getReason();
            detail = stalled.getMessage();
        } else if (exit != null && !exit.retryMayHelp()) {
            reason = exit.reason(); // e.g. BadData: why the Job failed at once
            detail = null;
        } else {
            reason = jobReason;
            detail = null;
        }
        List<String> parts = new ArrayList<>();
        parts.add(failed.getMessage() != null && !failed.getMessage().isBlank()
                ? failed.getMessage() : "the training Job failed (" + jobReason + ")");
        if (detail != null && !detail.isBlank()) {
            parts.add(detail);
        }
        if (message != null && message.text() != null) {
            parts.add("trainer: " + message.text());
        }
        return new Verdict(Phase.Failed, reason, String.join("; ", parts), true);
    }

    private static List<Condition> conditions(RunObservation o, Verdict v, String mergedUri) {
        boolean succeeded = v.phase() == Phase.Succeeded;
        boolean working = !v.phase().isFinal() && !v.stalled() && v.phase() != Phase.Suspended;
        List<Condition> list = new ArrayList<>();
        list.add(Conditions.of(Conditions.READY, succeeded, v.reason(), v.message()));
        list.add(Conditions.of(Conditions.RECONCILING, working, v.reason(), v.message()));
        list.add(Conditions.of(Conditions.STALLED, v.stalled(), v.reason(), v.message()));
        boolean validSpec = o.violations().isEmpty();
        boolean allowed = o.gate().policyViolations().isEmpty();
        list.add(Conditions.of(Conditions.VALIDATED, validSpec && allowed,
                !validSpec ? "InvalidSpec" : !allowed ? POLICY_VIOLATION : "Valid",
                !validSpec ? describe(o.violations()) : !allowed ? describe(o.gate().policyViolations())
                        : "the spec is valid"));
        list.add(Conditions.of(Conditions.TRAINED, succeeded, v.reason(),
                succeeded ? "the adapter is saved" : v.message()));
        LoraFineTuneSpec spec = o.run().getSpec();
        if (spec != null && spec.merge().enabled()) {
            boolean merged = succeeded && mergedUri != null;
            String reason = merged ? "Merged" : succeeded ? "NoMergedModel" : v.reason();
            list.add(Conditions.of(Conditions.MERGED, merged, reason,
                    merged ? "merged model at " + mergedUri
                            : succeeded ? "the trainer reported no merged model location" : v.message()));
        }
        if (o.specChanged()) {
            list.add(Conditions.of(Conditions.SPEC_CHANGE_IGNORED, true, "JobImmutable",
                    "the spec changed after the training Job was created; the run keeps the spec it started "
                            + "with. Create a new LoraFineTune, or set the annotation "
                            + RunLabels.RESTART_ANNOTATION + " to a new value to start this one over"));
        }
        return list;
    }

    /** The trainer's latest numbers; lastUpdateTime moves only when a number does. */
    private static Progress progress(RunObservation o, Progress prev, TrainerResult result, String now) {
        Progress next = prev;
        if (o.snapshot() != null && o.snapshot().progress() != null) {
            next = o.snapshot().progress();
        }
        if (result != null && result.steps() != null) {
            next = (next != null ? next : Progress.empty()).finished(result);
        }
        if (next == null || next == prev || sameNumbers(next, prev)) {
            return prev;
        }
        return next.at(now);
    }

    private static boolean sameNumbers(Progress a, Progress b) {
        return b != null && Objects.equals(a.step(), b.step()) && Objects.equals(a.totalSteps(), b.totalSteps())
                && Objects.equals(a.epoch(), b.epoch()) && Objects.equals(a.loss(), b.loss())
                && Objects.equals(a.evalLoss(), b.evalLoss()) && Objects.equals(a.bestEvalLoss(), b.bestEvalLoss())
                && Objects.equals(a.bestEvalStep(), b.bestEvalStep())
                && Objects.equals(a.tokensPerSecond(), b.tokensPerSecond()) && Objects.equals(a.eta(), b.eta());
    }

    private static String completionTime(Job job) {
        if (job == null || job.getStatus() == null) {
            return null;
        }
        if (job.getStatus().getCompletionTime() != null) {
            return job.getStatus().getCompletionTime();
        }
        JobCondition failed = jobCondition(job, "Failed");
        return failed == null ? null : failed.getLastTransitionTime();
    }

    /** True once the Job completed or failed. */
    public static boolean isFinished(Job job) {
        return jobCondition(job, "Complete") != null || jobCondition(job, "Failed") != null;
    }

    static JobCondition jobCondition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return null;
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().orElse(null);
    }

    private static long generation(RunObservation o) {
        Long g = o.run().getMetadata().getGeneration();
        return g == null ? 0L : g;
    }

    static String describe(List<Violation> violations) {
        return violations.stream().map(Violation::toString).collect(Collectors.joining("; "));
    }

    static String rfc3339(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
