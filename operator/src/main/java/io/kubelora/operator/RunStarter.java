package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.Violation;
import io.kubelora.api.platform.Profile;
import io.kubelora.api.platform.RunAdmission;
import io.kubelora.operator.platform.PlatformAdmission;
import io.kubelora.operator.platform.RunQuota;
import io.kubelora.operator.resources.RunLabels;
import io.kubelora.operator.resources.TrainerConfigMap;
import io.kubelora.operator.resources.TrainingJob;
import io.kubelora.operator.status.StartGate;
import io.kubelora.operator.validation.ClusterSpecChecks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Starts a run that has no Job: its effective spec is made and checked (the profile, the namespace's policies,
 * the cluster), it waits for its profile or for a place under maxConcurrentRuns, and then gets its ConfigMap and
 * Job. Keeps the effective spec of the runs it started with a profile: their own spec is only part of it.
 */
@ApplicationScoped
public class RunStarter {

    /** The outcome: the run as it runs (or would), why it may not, and its Job when it got one. */
    public record RunStart(LoraFineTune effective, List<Violation> violations, StartGate gate, Job job) {
    }

    public static final String WAITING_FOR_QUOTA = "WaitingForQuota";
    public static final String PROFILE_NOT_FOUND = "ProfileNotFound";

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final PlatformAdmission admission;
    private final RunQuota quota;
    private final RunEvents events;
    private final RunMetrics metrics;
    /** Effective runs by uid and restart token, for the runs started with a profile. */
    private final Map<String, LoraFineTune> effectiveRuns = new ConcurrentHashMap<>();

    @Inject
    public RunStarter(KubernetesClient client, OperatorSettings settings, PlatformAdmission admission,
            RunQuota quota, RunEvents events, RunMetrics metrics) {
        this.client = client;
        this.settings = settings;
        this.admission = admission;
        this.quota = quota;
        this.events = events;
        this.metrics = metrics;
    }

    /** Starts the run if it may start now. */
    public RunStart start(LoraFineTune run, String specHash) {
        if (run.getSpec() == null) {
            return new RunStart(run, ClusterSpecChecks.validate(run, settings), StartGate.OPEN, null);
        }
        PlatformAdmission.Decision decision = admission.decide(run);
        if (decision.missingProfile() != null) {
            return new RunStart(run, List.of(), StartGate.waiting(null, PROFILE_NOT_FOUND, "no FineTuneProfile named '"
                    + decision.missingProfile() + "' (spec.profile); the run starts once it exists", true), null);
        }
        RunAdmission.Result result = decision.result();
        if (result == null) {
            return new RunStart(run, decision.specViolations(), StartGate.OPEN, null);
        }
        LoraFineTune effective = result.effective() != null ? result.effective() : run;
        ProfileReference profile = result.profileReference();
        if (!decision.specViolations().isEmpty() || !result.policyViolations().isEmpty()) {
            return new RunStart(effective, decision.specViolations(),
                    new StartGate(profile, result.policyViolations(), null), null);
        }
        Supplier<Job> create = () -> create(effective, result.profile(), specHash);
        if (result.maxConcurrentRuns().isEmpty()) {
            return new RunStart(effective, List.of(), new StartGate(profile, List.of(), null), create.get());
        }
        int limit = result.maxConcurrentRuns().getAsInt();
        RunQuota.Outcome<Job> place = quota.startIfBelow(run.getMetadata().getNamespace(), RunLabels.jobName(run),
                limit, create);
        if (place.started() == null) {
            return new RunStart(effective, List.of(), StartGate.waiting(profile, WAITING_FOR_QUOTA, "waiting for one "
                    + "of the " + place.others() + " runs of the namespace with a training Job to finish "
                    + "(FineTunePolicy maxConcurrentRuns: " + limit + ")", false), null);
        }
        return new RunStart(effective, List.of(), new StartGate(profile, List.of(), null), place.started());
    }

    /**
     * The effective run of a run that has its Job: the one it was started as, or, after an operator restart, the
     * one its ConfigMap holds; its suspend is the run's own.
     */
    public LoraFineTune effectiveOfStarted(LoraFineTune run, ConfigMap known) {
        if (run.getSpec() == null || run.getSpec().profile() == null) {
            return run;
        }
        LoraFineTune effective = effectiveRuns.get(key(run));
        if (effective == null) {
            ConfigMap config = known != null ? known : client.configMaps().inNamespace(run.getMetadata()
                    .getNamespace()).withName(RunLabels.configMapName(run)).get();
            String document = config == null || config.getData() == null ? null
                    : config.getData().get(TrainerConfigMap.KEY);
            if (document == null) {
                return run;
            }
            try {
                effective = LoraFineTuneYaml.parse(document, RunLabels.configMapName(run));
            } catch (InvalidSpecException e) {
                return run;
            }
            effective.setMetadata(run.getMetadata());
            effectiveRuns.put(key(run), effective);
        }
        LoraFineTune current = new LoraFineTune();
        current.setMetadata(run.getMetadata());
        current.setSpec(effective.getSpec().toBuilder().suspend(run.getSpec().suspend()).build());
        return current;
    }

    /** Drops what is kept for a run that finished or starts over. */
    public void forget(LoraFineTune run) {
        effectiveRuns.remove(key(run));
    }

    private Job create(LoraFineTune effective, Profile profile, String specHash) {
        String namespace = effective.getMetadata().getNamespace();
        ConfigMap config = TrainerConfigMap.desired(effective);
        config.getMetadata().setAnnotations(runAnnotations(effective, specHash));
        // The ConfigMap may be left from an attempt that failed before its Job: make it match this spec.
        client.configMaps().inNamespace(namespace).resource(config).createOr(c -> c.update());
        Job desired = TrainingJob.desired(effective, profile, settings, specHash);
        Job job;
        try {
            job = client.batch().v1().jobs().inNamespace(namespace).resource(desired).create();
            metrics.jobCreated();
            events.record(effective, RunEvents.NORMAL, "JobCreated", "created training Job "
                    + desired.getMetadata().getName() + (Boolean.TRUE.equals(desired.getSpec().getSuspend())
                    ? " (suspended)" : ""));
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            // Another reconcile (a restarted or second operator, or a stale cache) created it first, or the
            // previous Job is still being deleted under the name (the caller waits for it).
            job = client.batch().v1().jobs().inNamespace(namespace).withName(desired.getMetadata().getName()).get();
            if (job == null) {
                throw e; // deleted in between: the retry creates it
            }
        }
        if (profile != null) {
            effectiveRuns.put(key(effective), effective);
        }
        return job;
    }

    private static Map<String, String> runAnnotations(LoraFineTune run, String hash) {
        String restart = RunLabels.restartToken(run);
        return restart == null ? Map.of(RunLabels.SPEC_HASH_ANNOTATION, hash)
                : Map.of(RunLabels.SPEC_HASH_ANNOTATION, hash, RunLabels.RESTART_ANNOTATION, restart);
    }

    private static String key(LoraFineTune run) {
        return run.getMetadata().getUid() + "/" + RunLabels.restartToken(run);
    }
}
