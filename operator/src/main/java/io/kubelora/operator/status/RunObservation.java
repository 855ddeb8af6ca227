package io.kubelora.operator.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.Violation;
import io.kubelora.operator.progress.TrainerSnapshot;
import java.time.Instant;
import java.util.List;

/**
 * Everything the status of a run is computed from, as the cluster says it now.
 *
 * @param run         the LoraFineTune (generation, labels) with its effective spec
 * @param violations  why the spec cannot run; empty when valid
 * @param job         the training Job, or null when there is none
 * @param pod         the Job's newest pod, or null
 * @param specChanged the spec differs from the one the existing Job was created from
 * @param snapshot    a fresh read of the trainer's metrics, or null when none was taken
 * @param now         the time of the observation
 * @param deleting    a previous Job of the run still being deleted, whose name the next Job needs, or null
 * @param pods        every pod of the Job, retried ones included (for the GPU time)
 * @param gate        what the platform said about a run without a Job (profile, policies, quota)
 */
public record RunObservation(LoraFineTune run, List<Violation> violations, Job job, Pod pod, boolean specChanged,
        TrainerSnapshot snapshot, Instant now, Job deleting, List<Pod> pods, StartGate gate) {

    public RunObservation {
        violations = violations == null ? List.of() : List.copyOf(violations);
        pods = pods == null ? (pod == null ? List.of() : List.of(pod)) : List.copyOf(pods);
        gate = gate == null ? StartGate.OPEN : gate;
    }

    /** An observation of a run whose pods are its newest one alone, and without platform verdict. */
    public RunObservation(LoraFineTune run, List<Violation> violations, Job job, Pod pod, boolean specChanged,
            TrainerSnapshot snapshot, Instant now, Job deleting) {
        this(run, violations, job, pod, specChanged, snapshot, now, deleting, null, null);
    }

    /** An observation without a previous Job in the way. */
    public RunObservation(LoraFineTune run, List<Violation> violations, Job job, Pod pod, boolean specChanged,
            TrainerSnapshot snapshot, Instant now) {
        this(run, violations, job, pod, specChanged, snapshot, now, null);
    }
}
