package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.api.Phase;
import io.kubelora.api.Violation;
import io.kubelora.operator.progress.ProgressScraper;
import io.kubelora.operator.progress.TrainerSnapshot;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.resources.SpecHash;
import io.kubelora.operator.status.Conditions;
import io.kubelora.operator.status.PodDiagnosis;
import io.kubelora.operator.status.RunObservation;
import io.kubelora.operator.status.RunStatus;
import io.kubelora.operator.status.StartGate;
import io.kubelora.operator.validation.ClusterSpecChecks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One reconciliation of a run: observe (Job and pods from the caches, the ConfigMap when needed), validate,
 * then create the ConfigMap and Job once, suspend or resume, or restart on request, and compute the status.
 * Creating a Job under a fixed name makes this idempotent across restarts and operator replicas: a second
 * create is refused by the API server and the existing Job is used.
 */
@ApplicationScoped
public class TrainingRuns {

    /** Result of one reconciliation: the status to have, and when to look again (null: on change only). */
    public record Outcome(LoraFineTuneStatus status, boolean statusChanged, Duration recheckAfter) {
    }

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final ProgressScraper scraper;
    private final RunEvents events;
    private final RunStarter starter;

    @Inject
    public TrainingRuns(KubernetesClient client, OperatorSettings settings, ProgressScraper scraper, RunEvents events,
            RunStarter starter) {
        this.client = client;
        this.settings = settings;
        this.scraper = scraper;
        this.events = events;
        this.starter = starter;
    }

    /**
     * @param job  the run's Job as cached, or null
     * @param pods the pods of the run as cached (any Job generation)
     */
    public Outcome reconcile(LoraFineTune run, Job job, List<Pod> pods) {
        LoraFineTuneStatus previous = run.getStatus();
        String restart = RunLabels.restartToken(run);
        // A Job being deleted (a finalizer may hold it for long) keeps its name until it is gone. Unless it
        // ended this very run, the run has no Job: it waits for the name, then starts a new one.
        Job deleting = null;
        if (isDeleting(job) && (!RunStatus.isFinished(job) || supersededBy(restart, job))) {
            deleting = job;
            job = null;
        }
        // Without a Job, the ConfigMap tells a run whose Job was deleted after it finished (its status says so)
        // from one never started; a run without status has nothing to read.
        ConfigMap config = job == null && previous != null ? readConfigMap(run) : null;
        HasMetadata record = job != null ? job : config;

        if (supersededBy(restart, record)) {
            deleteRun(run);
            events.record(run, RunEvents.NORMAL, "Restarted", "deleted the training Job and its ConfigMap for "
                    + RunLabels.RESTART_ANNOTATION + "=" + restart);
            previous = RunStatus.forNewRun(previous);
            job = null;
            record = null;
            pods = List.of();
        }
        String hash = run.getSpec() == null ? null : SpecHash.of(run.getSpec());
        LoraFineTune effective = run;
        List<Violation> violations;
        StartGate gate = StartGate.OPEN;
        if (job == null && deleting == null && !RunStatus.finishedAndCleanedUp(previous)) {
            RunStarter.RunStart start = starter.start(run, hash);
            effective = start.effective();
            violations = start.violations();
            gate = start.gate();
            if (start.job() != null && isDeleting(start.job())) {
                deleting = start.job(); // the previous Job, still being deleted under the name
            } else if (start.job() != null) {
                job = start.job();
                record = job;
            }
        } else {
            effective = starter.effectiveOfStarted(run, config);
            // A run with a profile was checked as a whole when its Job was created; its own fields are partial.
            violations = run.getSpec() != null && run.getSpec().profile() != null ? List.of()
                    : ClusterSpecChecks.validate(run, settings);
            if (job != null) {
                job = applySuspend(run, job);
            }
        }

        String startedFrom = record == null ? null : annotation(record, RunLabels.SPEC_HASH_ANNOTATION);
        boolean specChanged = startedFrom != null && hash != null && !startedFrom.equals(hash);
        List<Pod> jobPods = job == null ? List.of() : podsOf(job, pods);
        Pod pod = jobPods.stream().max(Comparator.comparing((Pod p) -> Objects.requireNonNullElse(
                p.getMetadata().getCreationTimestamp(), ""))).orElse(null);
        Instant now = Instant.now();
        String key = run.getMetadata().getUid();
        TrainerSnapshot snapshot = job != null && !RunStatus.isFinished(job) && PodDiagnosis.isTraining(pod)
                ? scraper.scrape(key, pod, now) : null;
        LoraFineTuneStatus status = RunStatus.compute(new RunObservation(effective, violations, job, pod, specChanged,
                snapshot, now, deleting, jobPods, gate), previous);
        recordTransition(run, previous, status);
        if (status.phase().isFinal()) {
            scraper.forget(key);
            starter.forget(run);
        }
        return new Outcome(status, !status.equals(run.getStatus()), recheckAfter(status.phase()));
    }

    /** spec.suspend drives Job.spec.suspend, except for queued Jobs, which Kueue suspends and resumes. */
    private Job applySuspend(LoraFineTune run, Job job) {
        boolean wanted = run.getSpec() != null && run.getSpec().suspend();
        boolean actual = Boolean.TRUE.equals(job.getSpec().getSuspend());
        boolean queued = job.getMetadata().getLabels() != null
                && job.getMetadata().getLabels().containsKey(RunLabels.KUEUE_QUEUE);
        if (wanted == actual || queued || RunStatus.isFinished(job)) {
            return job;
        }
        return client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName())
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":" + wanted + "}}");
    }

    private void deleteRun(LoraFineTune run) {
        String namespace = run.getMetadata().getNamespace();
        // Background: the Job goes now, its pods right after; the new Job can take the name at once.
        client.batch().v1().jobs().inNamespace(namespace).withName(RunLabels.jobName(run))
                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        client.configMaps().inNamespace(namespace).withName(RunLabels.configMapName(run)).delete();
        scraper.forget(run.getMetadata().getUid());
        starter.forget(run);
    }

    private ConfigMap readConfigMap(LoraFineTune run) {
        return client.configMaps().inNamespace(run.getMetadata().getNamespace())
                .withName(RunLabels.configMapName(run)).get();
    }

    /** An Event for each change of phase or of the Ready reason, and when a spec change is first ignored. */
    private void recordTransition(LoraFineTune run, LoraFineTuneStatus before, LoraFineTuneStatus after) {
        Phase phaseBefore = before == null ? null : before.phase();
        String reason = RunStatus.reason(after);
        if (phaseBefore != after.phase() || !Objects.equals(RunStatus.reason(before), reason)) {
            boolean warning = Conditions.isTrue(after.conditions(), Conditions.STALLED);
            events.record(run, warning ? RunEvents.WARNING : RunEvents.NORMAL, reason,
                    after.phase() + ": " + after.message());
        }
        boolean ignoredBefore = before != null && Conditions.isTrue(before.conditions(), Conditions.SPEC_CHANGE_IGNORED);
        if (!ignoredBefore && Conditions.isTrue(after.conditions(), Conditions.SPEC_CHANGE_IGNORED)) {
            events.record(run, RunEvents.WARNING, Conditions.SPEC_CHANGE_IGNORED,
                    Conditions.find(after.conditions(), Conditions.SPEC_CHANGE_IGNORED).getMessage());
        }
    }

    private Duration recheckAfter(Phase phase) {
        return switch (phase) {
            case Running, Merging -> settings.progressInterval();
            case Pending -> settings.pendingRecheck();
            case Suspended, Succeeded, Failed -> null;
        };
    }

    /** Whether a restart token asks for a new run that this Job or ConfigMap does not belong to. */
    private static boolean supersededBy(String restart, HasMetadata record) {
        return restart != null && record != null && !restart.equals(annotation(record, RunLabels.RESTART_ANNOTATION));
    }

    private static boolean isDeleting(Job job) {
        return job != null && job.getMetadata().getDeletionTimestamp() != null;
    }

    private static String annotation(HasMetadata resource, String key) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    /** The Job's pods; pods of a deleted earlier Job of the same name are ignored. */
    private static List<Pod> podsOf(Job job, List<Pod> pods) {
        String uid = job.getMetadata().getUid();
        return pods.stream()
                .filter(p -> p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences()
                        .stream().anyMatch(o -> Objects.equals(o.getUid(), uid)))
                .toList();
    }
}
