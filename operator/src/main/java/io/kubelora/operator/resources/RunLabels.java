package io.kubelora.operator.resources;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.platform.PolicyChecks;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Names, labels and annotations shared by everything the operator creates for one run. */
public final class RunLabels {

    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String RUN = "kubelora.io/run";
    public static final String KUEUE_QUEUE = PolicyChecks.QUEUE_LABEL;

    public static final String TRAINER = "kubelora-trainer";
    public static final String OPERATOR = "kubelora-operator";

    /** On a LoraFineTune: any new value deletes and recreates the run's Job and ConfigMap. */
    public static final String RESTART_ANNOTATION = "kubelora.io/restart";
    /** On a Job: hash of the spec it was created from (suspend excluded), to notice later edits. */
    public static final String SPEC_HASH_ANNOTATION = "kubelora.io/spec-hash";

    /**
     * Labels and annotations of a run that its Job and pods do not get: kubectl's (last-applied-configuration),
     * the operator's own, and Argo CD's tracking, which would make Argo CD count the Job as part of the
     * application and prune it. The operator's labels win over a run's labels of the same key.
     */
    public static final List<String> NOT_PROPAGATED = List.of("kubectl.kubernetes.io/", "kubelora.io/",
            "argocd.argoproj.io/");

    private RunLabels() {
    }

    /** Labels of the Job, its pod and the ConfigMap; the Kueue queue label is copied from the resource. */
    public static Map<String, String> of(LoraFineTune run) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, TRAINER);
        labels.put(INSTANCE, run.getMetadata().getName());
        labels.put(MANAGED_BY, OPERATOR);
        labels.put(RUN, run.getMetadata().getName());
        String queue = queueName(run);
        if (queue != null) {
            labels.put(KUEUE_QUEUE, queue);
        }
        return labels;
    }

    /** Labels of the Job and its pod: the run's own (cost centres, ...), then the operator's. */
    public static Map<String, String> withRunLabels(LoraFineTune run) {
        Map<String, String> labels = propagated(run.getMetadata().getLabels());
        labels.putAll(of(run));
        return labels;
    }

    /** The run's annotations that its Job and pod get (sidecar.istio.io/inject, ...). */
    public static Map<String, String> propagated(Map<String, String> fromRun) {
        Map<String, String> kept = new LinkedHashMap<>();
        if (fromRun != null) {
            new TreeMap<>(fromRun).forEach((key, value) -> {
                if (NOT_PROPAGATED.stream().noneMatch(key::startsWith)) {
                    kept.put(key, value);
                }
            });
        }
        return kept;
    }

    /** The Kueue LocalQueue the run is submitted to, or null. */
    public static String queueName(LoraFineTune run) {
        Map<String, String> labels = run.getMetadata().getLabels();
        return labels == null ? null : labels.get(KUEUE_QUEUE);
    }

    /** The restart annotation's value on the resource, or null. */
    public static String restartToken(LoraFineTune run) {
        Map<String, String> annotations = run.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(RESTART_ANNOTATION);
    }

    public static String jobName(LoraFineTune run) {
        return run.getMetadata().getName();
    }

    public static String configMapName(LoraFineTune run) {
        return run.getMetadata().getName() + "-config";
    }

    /** Makes the resource the controller of what it owns: deleting it deletes them. */
    public static OwnerReference ownerReference(LoraFineTune run) {
        return new OwnerReferenceBuilder()
                .withApiVersion(LoraFineTune.API_VERSION)
                .withKind(LoraFineTune.KIND)
                .withName(run.getMetadata().getName())
                .withUid(run.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }
}
