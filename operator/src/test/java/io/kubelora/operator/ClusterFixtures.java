package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.kubelora.api.LoraFineTune;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.resources.SpecHash;
import io.kubelora.operator.resources.TrainingJob;

/** Jobs and pods in the states the Job controller and the kubelet put them in. */
public final class ClusterFixtures {

    public static final String T0 = "2026-01-01T10:00:00Z";
    public static final String T1 = "2026-01-01T11:00:00Z";

    private ClusterFixtures() {
    }

    /** The Job the operator creates for the run, as the API server returns it. */
    public static Job job(LoraFineTune run) {
        Job job = TrainingJob.desired(run, TestSettings.defaults(), SpecHash.of(run.getSpec()));
        job.getMetadata().setUid("job-uid-" + run.getMetadata().getName());
        return job;
    }

    /** The Job with a True condition of the type (Complete or Failed), as the Job controller writes it. */
    public static Job finished(Job job, String type, String reason, String message) {
        Job copy = new JobBuilder(job).build();
        JobStatusBuilder status = new JobStatusBuilder().withStartTime(T0)
                .addToConditions(new JobConditionBuilder().withType(type).withStatus("True").withReason(reason)
                        .withMessage(message).withLastTransitionTime(T1).build());
        if (type.equals("Complete")) {
            status.withCompletionTime(T1).withSucceeded(1);
        } else {
            status.withFailed(1);
        }
        copy.setStatus(status.build());
        return copy;
    }

    public static Job suspended(Job job, boolean suspend) {
        Job copy = new JobBuilder(job).build();
        copy.getSpec().setSuspend(suspend);
        return copy;
    }

    private static PodBuilder pod(Job job, String phase) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(job.getMetadata().getName() + "-x7k2p")
                .withNamespace(job.getMetadata().getNamespace())
                .withLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                .withCreationTimestamp(T0)
                .addNewOwnerReference().withApiVersion("batch/v1").withKind("Job")
                .withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid()).withController(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .withNewStatus().withPhase(phase).endStatus();
    }

    public static Pod running(Job job, String ip) {
        return pod(job, "Running").editStatus().withPodIP(ip).withStartTime(T0)
                .withContainerStatuses(new ContainerStatusBuilder().withName(TrainingJob.CONTAINER).withReady(true)
                        .withState(new ContainerStateBuilder().withNewRunning().withStartedAt(T0).endRunning()
                                .build()).build())
                .endStatus().build();
    }

    public static Pod waiting(Job job, String reason, String message) {
        return pod(job, "Pending").editStatus().withStartTime(T0)
                .withContainerStatuses(new ContainerStatusBuilder().withName(TrainingJob.CONTAINER).withReady(false)
                        .withState(new ContainerStateBuilder().withNewWaiting().withReason(reason)
                                .withMessage(message).endWaiting().build()).build())
                .endStatus().build();
    }

    public static Pod unschedulable(Job job, String message) {
        return pod(job, "Pending").editStatus()
                .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                        .withReason("Unschedulable").withMessage(message).build())
                .endStatus().build();
    }

    public static Pod terminated(Job job, String phase, String reason, int exitCode, String message) {
        return pod(job, phase).editStatus().withStartTime(T0)
                .withContainerStatuses(new ContainerStatusBuilder().withName(TrainingJob.CONTAINER).withReady(false)
                        .withState(new ContainerStateBuilder().withNewTerminated().withReason(reason)
                                .withExitCode(exitCode).withMessage(message).withFinishedAt(T1).endTerminated()
                                .build()).build())
                .endStatus().build();
    }

    /** The pod with the condition the scheduler, the eviction API or the pod GC sets before deleting it. */
    public static Pod disrupted(Pod pod, String reason, String message) {
        return new PodBuilder(pod).editStatus().addToConditions(new PodConditionBuilder().withType("DisruptionTarget")
                .withStatus("True").withReason(reason).withMessage(message).withLastTransitionTime(T1).build())
                .endStatus().build();
    }

    public static String label(LoraFineTune run) {
        return RunLabels.RUN + "=" + run.getMetadata().getName();
    }
}
