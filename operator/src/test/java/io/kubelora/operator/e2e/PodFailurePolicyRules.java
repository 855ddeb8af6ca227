package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnExitCodesRequirement;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnPodConditionsPattern;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the Job controller does with a failed pod under the Job's {@code podFailurePolicy}, as Kubernetes
 * documents and implements it (pkg/controller/job/pod_failure_policy.go): the rules are tried in order and the
 * first that matches decides; {@code onExitCodes} looks at terminated containers with a non-zero exit code
 * (init containers first, optionally only the named one), {@code onPodConditions} at the pod's conditions. No
 * policy, or no matching rule, counts the failure against {@code backoffLimit}.
 */
final class PodFailurePolicyRules {

    /** The action of the matching rule ({@code FailJob}, {@code Ignore} or {@code Count}); message for FailJob. */
    record Decision(String action, String message) {

        static final Decision COUNT = new Decision("Count", null);

        boolean failJob() {
            return "FailJob".equals(action);
        }

        boolean ignore() {
            return "Ignore".equals(action);
        }
    }

    private PodFailurePolicyRules() {
    }

    /** The decision for a pod in phase Failed. */
    static Decision decide(Job job, Pod failedPod) {
        PodFailurePolicy policy = job.getSpec().getPodFailurePolicy();
        if (policy == null || policy.getRules() == null) {
            return Decision.COUNT;
        }
        List<PodFailurePolicyRule> rules = policy.getRules();
        for (int index = 0; index < rules.size(); index++) {
            PodFailurePolicyRule rule = rules.get(index);
            String action = rule.getAction();
            if (rule.getOnExitCodes() != null) {
                ContainerStatus container = matchingContainer(failedPod, rule.getOnExitCodes());
                if (container != null) {
                    return new Decision(action, "Container " + container.getName() + " for pod "
                            + podKey(failedPod) + " failed with exit code "
                            + container.getState().getTerminated().getExitCode() + " matching " + action
                            + " rule at index " + index);
                }
            } else if (rule.getOnPodConditions() != null) {
                PodCondition condition = matchingCondition(failedPod, rule.getOnPodConditions());
                if (condition != null) {
                    return new Decision(action, "Pod " + podKey(failedPod) + " has condition " + condition.getType()
                            + " matching " + action + " rule at index " + index);
                }
            }
        }
        return Decision.COUNT;
    }

    /** What the API server refuses at creation: a policy needs restartPolicy Never. */
    static void validate(Job job) {
        if (job.getSpec().getPodFailurePolicy() != null
                && !"Never".equals(job.getSpec().getTemplate().getSpec().getRestartPolicy())) {
            throw new IllegalStateException("Job " + job.getMetadata().getName() + ": spec.podFailurePolicy needs "
                    + "spec.template.spec.restartPolicy Never, the API server would refuse it");
        }
    }

    private static ContainerStatus matchingContainer(Pod pod, PodFailurePolicyOnExitCodesRequirement requirement) {
        List<ContainerStatus> statuses = new ArrayList<>();
        if (pod.getStatus().getInitContainerStatuses() != null) {
            statuses.addAll(pod.getStatus().getInitContainerStatuses());
        }
        if (pod.getStatus().getContainerStatuses() != null) {
            statuses.addAll(pod.getStatus().getContainerStatuses());
        }
        for (ContainerStatus status : statuses) {
            if (status.getState() == null || status.getState().getTerminated() == null) {
                continue;
            }
            int exitCode = status.getState().getTerminated().getExitCode();
            if (exitCode == 0 || (requirement.getContainerName() != null
                    && !requirement.getContainerName().equals(status.getName()))) {
                continue;
            }
            boolean listed = requirement.getValues().contains(exitCode);
            if ("In".equals(requirement.getOperator()) ? listed : !listed) {
                return status;
            }
        }
        return null;
    }

    private static PodCondition matchingCondition(Pod pod, List<PodFailurePolicyOnPodConditionsPattern> patterns) {
        List<PodCondition> conditions = pod.getStatus().getConditions() == null ? List.of()
                : pod.getStatus().getConditions();
        for (PodFailurePolicyOnPodConditionsPattern pattern : patterns) {
            String status = pattern.getStatus() == null ? "True" : pattern.getStatus();
            for (PodCondition condition : conditions) {
                if (Objects.equals(pattern.getType(), condition.getType()) && status.equals(condition.getStatus())) {
                    return condition;
                }
            }
        }
        return null;
    }

    private static String podKey(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }
}
