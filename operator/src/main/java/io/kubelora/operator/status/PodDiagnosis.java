package io.kubelora.operator.status;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.kubelora.operator.resources.TrainingJob;
import java.util.List;
import java.util.Set;

/**
 * Why a training pod is not training, read from its status: the reasons users need instead of "Job failed".
 *
 * @param reason  a condition reason, e.g. OOMKilled, ImagePullBackOff, Unschedulable
 * @param message what Kubernetes or the trainer said
 * @param blocking true when the pod waits for something that will not fix itself (an image, a node, a
 *                 Secret); false when the pod ended and the Job may retry
 */
public record PodDiagnosis(String reason, String message, boolean blocking) {

    public static final String OOM_KILLED = "OOMKilled";
    public static final String DISRUPTED = "Disrupted";
    public static final String UNSCHEDULABLE = "Unschedulable";
    /** Pod-level reasons that explain a later DeadlineExceeded better than the deadline itself. */
    public static final Set<String> ROOT_CAUSES = Set.of(OOM_KILLED, UNSCHEDULABLE, "ImagePullBackOff",
            "ErrImagePull", "InvalidImageName", "CreateContainerConfigError");
    private static final Set<String> WAITING_PROBLEMS = Set.of("ImagePullBackOff", "ErrImagePull",
            "InvalidImageName", "CreateContainerConfigError");

    /** The pod's problem, or null when it has none (or there is no pod). */
    public static PodDiagnosis of(Pod pod) {
        if (pod == null || pod.getStatus() == null) {
            return null;
        }
        PodDiagnosis disruption = disruption(pod.getStatus().getConditions());
        if (disruption != null) {
            return disruption;
        }
        ContainerStatus trainer = trainerStatus(pod.getStatus().getContainerStatuses());
        if (trainer != null) {
            PodDiagnosis oom = oomKilled(trainer.getState());
            if (oom == null) {
                oom = oomKilled(trainer.getLastState());
            }
            if (oom != null) {
                return oom;
            }
            ContainerState state = trainer.getState();
            if (state != null && state.getWaiting() != null
                    && WAITING_PROBLEMS.contains(state.getWaiting().getReason())) {
                return new PodDiagnosis(state.getWaiting().getReason(), state.getWaiting().getMessage(), true);
            }
        }
        List<PodCondition> conditions = pod.getStatus().getConditions();
        if (conditions != null) {
            for (PodCondition c : conditions) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                        && UNSCHEDULABLE.equals(c.getReason())) {
                    return new PodDiagnosis(UNSCHEDULABLE, c.getMessage(), true);
                }
            }
        }
        return null;
    }

    /** The trainer's exit code once it terminated, or null. */
    public static Integer exitCode(Pod pod) {
        if (pod == null || pod.getStatus() == null) {
            return null;
        }
        ContainerStatus trainer = trainerStatus(pod.getStatus().getContainerStatuses());
        return trainer == null || trainer.getState() == null || trainer.getState().getTerminated() == null ? null
                : trainer.getState().getTerminated().getExitCode();
    }

    /** The trainer's termination message, or null. */
    public static String terminationMessage(Pod pod) {
        if (pod == null || pod.getStatus() == null) {
            return null;
        }
        ContainerStatus trainer = trainerStatus(pod.getStatus().getContainerStatuses());
        if (trainer == null) {
            return null;
        }
        if (trainer.getState() != null && trainer.getState().getTerminated() != null) {
            return trainer.getState().getTerminated().getMessage();
        }
        return null;
    }

    /** True when the trainer container is running. */
    public static boolean isTraining(Pod pod) {
        if (pod == null || pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
            return false;
        }
        ContainerStatus trainer = trainerStatus(pod.getStatus().getContainerStatuses());
        return trainer != null && trainer.getState() != null && trainer.getState().getRunning() != null;
    }

    /**
     * A pod stopped by preemption, eviction, a node drain or the loss of its node (Kubernetes marks it with the
     * condition DisruptionTarget): the Job replaces it without counting a failure.
     */
    private static PodDiagnosis disruption(List<PodCondition> conditions) {
        if (conditions == null) {
            return null;
        }
        for (PodCondition c : conditions) {
            if ("DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus())) {
                String cause = c.getReason() == null ? "a disruption" : c.getReason();
                return new PodDiagnosis(DISRUPTED, "the training pod was stopped by " + cause
                        + (c.getMessage() == null || c.getMessage().isBlank() ? "" : " (" + c.getMessage() + ")")
                        + "; a new pod resumes from the last checkpoint", false);
            }
        }
        return null;
    }

    private static PodDiagnosis oomKilled(ContainerState state) {
        if (state != null && state.getTerminated() != null && OOM_KILLED.equals(state.getTerminated().getReason())) {
            return new PodDiagnosis(OOM_KILLED, "the trainer ran out of memory (exit code "
                    + state.getTerminated().getExitCode() + "); raise spec.resources.memory, lower "
                    + "spec.training.batchSize or spec.dataset.maxSeqLength, or use quantization: nf4", false);
        }
        return null;
    }

    private static ContainerStatus trainerStatus(List<ContainerStatus> statuses) {
        if (statuses == null) {
            return null;
        }
        return statuses.stream().filter(s -> TrainingJob.CONTAINER.equals(s.getName())).findFirst().orElse(null);
    }
}
