package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** A single-container pod's status at each stage of its life, as the kubelet reports it. */
final class PodStatuses {

    /** Where every local pod listens: they share the host's network. */
    static final String POD_IP = "127.0.0.1";

    private PodStatuses() {
    }

    /** Scheduled, the container being created (volumes, environment). */
    static PodStatus pending(Container container) {
        return new PodStatusBuilder().withPhase("Pending")
                .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True")
                        .withLastTransitionTime(now()).build())
                .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                        .withImage(container.getImage()).withReady(false).withRestartCount(0)
                        .withState(new ContainerStateBuilder().withNewWaiting().withReason("ContainerCreating")
                                .endWaiting().build()).build())
                .build();
    }

    /** The container cannot start, e.g. CreateContainerConfigError for a missing Secret. */
    static PodStatus waiting(Container container, String reason, String message) {
        return new PodStatusBuilder(pending(container))
                .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                        .withImage(container.getImage()).withReady(false).withRestartCount(0)
                        .withState(new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message)
                                .endWaiting().build()).build())
                .build();
    }

    /** The container runs; the pod has its IP. */
    static PodStatus running(Container container, String startedAt) {
        return new PodStatusBuilder().withPhase("Running").withPodIP(POD_IP).withHostIP(POD_IP)
                .withStartTime(startedAt)
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True")
                        .withLastTransitionTime(startedAt).build())
                .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                        .withImage(container.getImage()).withReady(true).withStarted(true).withRestartCount(0)
                        .withState(new ContainerStateBuilder().withNewRunning().withStartedAt(startedAt).endRunning()
                                .build()).build())
                .build();
    }

    /** The container exited (restartPolicy Never): the pod is done, with the termination message. */
    static PodStatus terminated(Container container, String startedAt, int exitCode, String message) {
        return new PodStatusBuilder().withPhase(exitCode == 0 ? "Succeeded" : "Failed").withPodIP(POD_IP)
                .withHostIP(POD_IP).withStartTime(startedAt)
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False")
                        .withReason("PodCompleted").withLastTransitionTime(now()).build())
                .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                        .withImage(container.getImage()).withReady(false).withStarted(false).withRestartCount(0)
                        .withState(new ContainerStateBuilder().withNewTerminated().withExitCode(exitCode)
                                .withReason(exitCode == 0 ? "Completed" : "Error")
                                .withMessage(message.isBlank() ? null : message)
                                .withStartedAt(startedAt).withFinishedAt(now()).endTerminated().build())
                        .build())
                .build();
    }

    /** Kubernetes timestamps: RFC 3339 in whole seconds. */
    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
