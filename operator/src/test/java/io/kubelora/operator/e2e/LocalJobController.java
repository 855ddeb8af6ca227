package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The Job controller's part of the local cluster, for one Job at a time: it starts pods one after another
 * until one succeeds, the {@code backoffLimit} is used up or the {@code podFailurePolicy} fails the Job
 * ({@link PodFailurePolicyRules}), writes the Job's status as Kubernetes does, and releases each ended pod
 * from its tracking finalizer once it has accounted for it.
 */
final class LocalJobController {

    /** The Job controller's finalizer: a pod stays until the controller has accounted for its end. */
    static final String TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";

    /** How one pod of a Job ended: in a terminal phase, or cut short because its Job was deleted. */
    record PodEnd(Pod pod, boolean jobGone) {
    }

    /** Creates one pod of the Job (with {@link #TRACKING_FINALIZER}) and runs it to its end. */
    interface PodRunner {
        PodEnd runPod(Job job) throws IOException, InterruptedException;
    }

    private final KubernetesClient client;
    private final PodRunner pods;

    LocalJobController(KubernetesClient client, PodRunner pods) {
        this.client = client;
        this.pods = pods;
    }

    /** Pods one after another until one succeeds, the backoff limit is used up, or the policy fails the Job. */
    void run(Job job) throws IOException, InterruptedException {
        PodFailurePolicyRules.validate(job);
        int backoffLimit = job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();
        String startTime = PodStatuses.now();
        updateJobStatus(job, s -> {
            s.setStartTime(startTime);
            s.setActive(1);
            return s;
        });
        for (int failed = 0; ; ) {
            if (jobGone(client, job)) {
                return;
            }
            PodEnd end = pods.runPod(job);
            Pod pod = end.pod();
            if (end.jobGone()) {
                releasePod(pod); // as the controller does for the pods of a deleted Job
                return;
            }
            if ("Succeeded".equals(pod.getStatus().getPhase())) {
                String done = PodStatuses.now();
                updateJobStatus(job, s -> {
                    s.setActive(null);
                    s.setSucceeded(1);
                    s.setCompletionTime(done);
                    s.setConditions(List.of(new JobConditionBuilder().withType("Complete").withStatus("True")
                            .withLastProbeTime(done).withLastTransitionTime(done).build()));
                    return s;
                });
                releasePod(pod);
                return;
            }
            PodFailurePolicyRules.Decision decision = PodFailurePolicyRules.decide(job, pod);
            if (!decision.ignore()) {
                failed++;
            }
            int failures = failed;
            if (decision.failJob()) {
                failJob(job, failures, "PodFailurePolicy", decision.message());
            } else if (failed > backoffLimit) {
                failJob(job, failures, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
            } else {
                updateJobStatus(job, s -> {
                    s.setFailed(failures == 0 ? null : failures);
                    return s;
                });
            }
            releasePod(pod);
            if (decision.failJob() || failed > backoffLimit) {
                return;
            }
        }
    }

    /** Failed, after FailureTarget, as the Job controller of Kubernetes 1.31+ marks a Job that will not finish. */
    private void failJob(Job job, int failures, String reason, String message) {
        String done = PodStatuses.now();
        updateJobStatus(job, s -> {
            s.setActive(null);
            s.setFailed(failures == 0 ? null : failures);
            s.setConditions(List.of(
                    new JobConditionBuilder().withType("FailureTarget").withStatus("True").withReason(reason)
                            .withMessage(message).withLastProbeTime(done).withLastTransitionTime(done).build(),
                    new JobConditionBuilder().withType("Failed").withStatus("True").withReason(reason)
                            .withMessage(message).withLastProbeTime(done).withLastTransitionTime(done).build()));
            return s;
        });
    }

    /** The pod's end is accounted for: the tracking finalizer goes, so a deleted pod disappears. */
    private void releasePod(Pod pod) {
        retryOnConflict(() -> {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName()).get();
            if (current == null || current.getMetadata().getFinalizers() == null
                    || !current.getMetadata().getFinalizers().contains(TRACKING_FINALIZER)) {
                return;
            }
            current.getMetadata().setFinalizers(current.getMetadata().getFinalizers().stream()
                    .filter(f -> !TRACKING_FINALIZER.equals(f)).toList());
            client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(current).update();
        });
    }

    private void updateJobStatus(Job job, UnaryOperator<JobStatus> change) {
        retryOnConflict(() -> {
            Job current = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                    .withName(job.getMetadata().getName()).get();
            if (current == null) {
                return; // deleted meanwhile
            }
            current.setStatus(change.apply(current.getStatus() == null ? new JobStatus() : current.getStatus()));
            client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).resource(current)
                    .updateStatus();
        });
    }

    /** The operator patches Jobs too: an update based on a stale read is refused with 409 and read again. */
    static void retryOnConflict(Runnable update) {
        for (int attempt = 1; ; attempt++) {
            try {
                update.run();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** True once the Job is deleted (or replaced by another of the same name). */
    static boolean jobGone(KubernetesClient client, Job job) {
        Job current = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName()).get();
        return current == null || !job.getMetadata().getUid().equals(current.getMetadata().getUid());
    }
}
