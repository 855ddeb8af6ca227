package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.kubelora.api.LoraFineTune;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.status.RunStatus;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs each LoraFineTune as a training Job. Thin: the Job and its pods come from informer caches, the work
 * is in {@link TrainingRuns}, and the status is patched only when it changed.
 */
// Not generation-aware: the restart annotation changes metadata only, which does not bump the generation.
@ControllerConfiguration(name = "lorafinetune", generationAwareEventProcessing = false)
// Least privilege: Jobs and pods are watched; ConfigMaps are only read, written and deleted by name.
@RBACRule(apiGroups = "batch", resources = "jobs", verbs = {"get", "list", "watch", "create", "patch", "delete"})
@RBACRule(apiGroups = "", resources = "configmaps", verbs = {"get", "create", "update", "delete"})
@RBACRule(apiGroups = "", resources = "pods", verbs = {"get", "list", "watch"})
@RBACRule(apiGroups = "", resources = "events", verbs = {"create", "patch"})
// The platform: a namespace's FineTunePolicies are listed, a run's FineTuneProfile (cluster-scoped) read by name.
@RBACRule(apiGroups = LoraFineTune.GROUP, resources = "finetunepolicies", verbs = {"get", "list"})
@RBACRule(apiGroups = LoraFineTune.GROUP, resources = "finetuneprofiles", verbs = {"get"})
public class LoraFineTuneReconciler implements Reconciler<LoraFineTune> {

    private static final String MANAGED = RunLabels.MANAGED_BY + "=" + RunLabels.OPERATOR;

    private final TrainingRuns runs;
    private final RunMetrics metrics;
    /** Reconciles runs on request: those waiting for a place under maxConcurrentRuns, when a run ends. */
    private final SimpleInboundEventSource<LoraFineTune> wakeUps = new SimpleInboundEventSource<>("wake-ups");
    private volatile IndexerResourceCache<LoraFineTune> primaries;

    @Inject
    public LoraFineTuneReconciler(TrainingRuns runs, RunMetrics metrics) {
        this.runs = runs;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, LoraFineTune>> prepareEventSources(EventSourceContext<LoraFineTune> context) {
        metrics.countFrom(context.getPrimaryCache());
        primaries = context.getPrimaryCache();
        var jobs = new InformerEventSource<>(InformerEventSourceConfiguration.from(Job.class, LoraFineTune.class)
                .withLabelSelector(MANAGED)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(LoraFineTune.class))
                .build(), context);
        // Pods are owned by the Job, not the LoraFineTune: map them back by the run label.
        var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, LoraFineTune.class)
                .withLabelSelector(MANAGED)
                .withSecondaryToPrimaryMapper((Pod pod) -> {
                    String run = pod.getMetadata().getLabels() == null ? null
                            : pod.getMetadata().getLabels().get(RunLabels.RUN);
                    return run == null ? Set.of() : Set.of(new ResourceID(run, pod.getMetadata().getNamespace()));
                })
                .build(), context);
        return List.of(jobs, pods, wakeUps);
    }

    /**
     * A run that ended frees a place under its namespace's maxConcurrentRuns: the runs waiting for one look again
     * now rather than at their next recheck. (A run deleted while it ran frees its place when its Job is gone; the
     * waiting runs find it at their next recheck.)
     */
    private void wakeRunsWaitingForQuota(String namespace) {
        primaries.list(namespace)
                .filter(r -> RunStarter.WAITING_FOR_QUOTA.equals(RunStatus.reason(r.getStatus())))
                .forEach(r -> wakeUps.propagateEvent(ResourceID.fromResource(r)));
    }

    @Override
    public UpdateControl<LoraFineTune> reconcile(LoraFineTune run, Context<LoraFineTune> context) {
        Job job = context.getSecondaryResource(Job.class).orElse(null);
        List<Pod> pods = new ArrayList<>(context.getSecondaryResources(Pod.class));
        TrainingRuns.Outcome outcome = runs.reconcile(run, job, pods);
        if (outcome.statusChanged()) {
            boolean wasFinal = run.getStatus() != null && run.getStatus().phase() != null
                    && run.getStatus().phase().isFinal();
            long before = run.getStatus() == null || run.getStatus().gpuSeconds() == null ? 0
                    : run.getStatus().gpuSeconds();
            // Patched here and put in the cache, so that a reconcile triggered before the status change comes
            // back through the watch does not see the old status and write the same status again.
            PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(run, context, r -> {
                r.setStatus(outcome.status());
                return r;
            });
            metrics.statusPatched();
            Long after = outcome.status().gpuSeconds();
            metrics.gpuSecondsUsed(run.getMetadata().getNamespace(), after == null ? 0 : after - before);
            if (outcome.status().phase().isFinal() && !wasFinal) {
                wakeRunsWaitingForQuota(run.getMetadata().getNamespace());
            }
        }
        UpdateControl<LoraFineTune> control = UpdateControl.noUpdate();
        return outcome.recheckAfter() == null ? control : control.rescheduleAfter(outcome.recheckAfter());
    }
}
