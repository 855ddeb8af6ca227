package io.kubelora.operator.resources;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import io.kubelora.api.CredentialsSpec;
import io.kubelora.api.EnvVarSpec;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.ResourcesSpec;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.api.platform.Profile;
import io.kubelora.operator.OperatorSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training Job {@code <name>}: one pod running the trainer on the ConfigMap's finetune.yaml. The Job is
 * created once and never updated (a Job's pod template is immutable); only {@code spec.suspend} is changed
 * later, to suspend and resume the run.
 */
public final class TrainingJob {

    public static final String CONTAINER = "trainer";
    public static final int METRICS_PORT = 9090;
    public static final String METRICS_PORT_NAME = "metrics";
    public static final String COMMAND = "/opt/kubelora/bin/trainer";

    private TrainingJob() {
    }

    /** The Job for a validated run without a profile. */
    public static Job desired(LoraFineTune run, OperatorSettings settings, String specHash) {
        return desired(run, null, settings, specHash);
    }

    /**
     * The Job for a validated run.
     *
     * @param run      the run with its effective spec
     * @param profile  the FineTuneProfile it was made from (image pull Secrets, GPU memory), or null
     * @param specHash recorded on the Job so that later edits of the spec can be noticed
     */
    public static Job desired(LoraFineTune run, Profile profile, OperatorSettings settings, String specHash) {
        LoraFineTuneSpec spec = run.getSpec();
        Map<String, String> podAnnotations = RunLabels.propagated(run.getMetadata().getAnnotations());
        Map<String, String> annotations = new LinkedHashMap<>(podAnnotations);
        annotations.put(RunLabels.SPEC_HASH_ANNOTATION, specHash);
        String restart = RunLabels.restartToken(run);
        if (restart != null) {
            annotations.put(RunLabels.RESTART_ANNOTATION, restart);
        }
        // Kueue admits a queued Job by resuming it, so a queued Job starts suspended.
        boolean suspend = spec.suspend() || RunLabels.queueName(run) != null;
        return new JobBuilder()
                .withNewMetadata()
                .withName(RunLabels.jobName(run))
                .withNamespace(run.getMetadata().getNamespace())
                .withLabels(RunLabels.withRunLabels(run))
                .withAnnotations(annotations)
                .withOwnerReferences(RunLabels.ownerReference(run))
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(spec.backoffLimit())
                .withPodFailurePolicy(podFailurePolicy())
                .withActiveDeadlineSeconds(spec.activeDeadlineSeconds())
                .withTtlSecondsAfterFinished(spec.ttlSecondsAfterFinished())
                .withSuspend(suspend)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(RunLabels.withRunLabels(run))
                .withAnnotations(podAnnotations.isEmpty() ? null : podAnnotations)
                .endMetadata()
                .withSpec(podSpec(run, profile, settings))
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * Which failed pods count against backoffLimit. A pod stopped by a disruption (preemption, eviction, node
     * drain or loss: condition DisruptionTarget) is replaced without counting, and its successor resumes from
     * the checkpoint the trainer wrote on SIGTERM. A trainer exit code that no retry can fix fails the Job at
     * once. Anything else (OOMKilled, storage errors, ...) counts as usual.
     */
    static PodFailurePolicy podFailurePolicy() {
        return new PodFailurePolicyBuilder()
                .addNewRule().withAction("Ignore")
                .addNewOnPodCondition().withType("DisruptionTarget").withStatus("True").endOnPodCondition()
                .endRule()
                .addNewRule().withAction("FailJob")
                .withNewOnExitCodes().withContainerName(CONTAINER).withOperator("In")
                .withValues(TrainerExitCode.retryCannotHelp()).endOnExitCodes()
                .endRule()
                .build();
    }

    /** The extended resource of one GPU for this run, or null when neither the spec nor the operator names one. */
    public static String gpuResourceName(LoraFineTuneSpec spec, OperatorSettings settings) {
        if (spec.resources().gpuResourceName() != null) {
            return spec.resources().gpuResourceName();
        }
        return settings.gpuResourceName().filter(s -> !s.isBlank()).orElse(null);
    }

    private static PodSpec podSpec(LoraFineTune run, Profile profile, OperatorSettings settings) {
        LoraFineTuneSpec spec = run.getSpec();
        ResourcesSpec resources = spec.resources();
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName("config").withNewConfigMap()
                .withName(RunLabels.configMapName(run)).endConfigMap().build());
        mounts.add(mount("config", TrainerConfigMap.MOUNT_PATH, true));
        // The root filesystem is read-only: the trainer writes only to these.
        volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
        mounts.add(mount("tmp", "/tmp", false));
        volumes.add(CacheVolumes.scratch(resources, settings));
        mounts.add(mount(CacheVolumes.SCRATCH_VOLUME, CacheVolumes.SCRATCH_DIR, false));
        CacheVolumes.modelCache(resources, settings).ifPresent(cache -> {
            volumes.add(cache);
            mounts.add(mount(cache.getName(), CacheVolumes.MODEL_CACHE_DIR, false));
        });
        for (PvcMounts.Claim claim : PvcMounts.of(spec)) {
            volumes.add(new VolumeBuilder().withName(claim.volumeName()).withNewPersistentVolumeClaim()
                    .withClaimName(claim.claimName()).withReadOnly(claim.readOnly())
                    .endPersistentVolumeClaim().build());
            mounts.add(mount(claim.volumeName(), claim.mountPath(), claim.readOnly()));
        }
        return new PodSpecBuilder()
                .withRestartPolicy("Never")
                .withServiceAccountName(spec.serviceAccountName())
                .withPriorityClassName(resources.priorityClassName())
                .withNodeSelector(resources.nodeSelector().isEmpty() ? null : resources.nodeSelector())
                .withTolerations(resources.tolerations())
                .withAffinity(resources.affinity())
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(1000L)
                .withFsGroup(1000L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withImagePullSecrets(imagePullSecrets(profile, settings))
                .withContainers(container(run, profile, settings, mounts))
                .withVolumes(volumes)
                .build();
    }

    /** The operator's pull Secrets, then the profile's. */
    private static List<LocalObjectReference> imagePullSecrets(Profile profile, OperatorSettings settings) {
        Set<String> names = new LinkedHashSet<>(settings.trainerImagePullSecrets().orElse(List.of()));
        if (profile != null) {
            names.addAll(profile.spec().imagePullSecrets());
        }
        return names.isEmpty() ? null : names.stream().map(LocalObjectReference::new).toList();
    }

    private static Container container(LoraFineTune run, Profile profile, OperatorSettings settings,
            List<VolumeMount> mounts) {
        LoraFineTuneSpec spec = run.getSpec();
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.image() != null ? spec.image() : settings.defaultImage())
                .withCommand(COMMAND)
                .withArgs("train", "--config", TrainerConfigMap.MOUNT_PATH + "/" + TrainerConfigMap.KEY,
                        "--metrics-port", Integer.toString(METRICS_PORT))
                .addNewPort().withName(METRICS_PORT_NAME).withContainerPort(METRICS_PORT).withProtocol("TCP").endPort()
                .withEnv(env(run, profile, settings))
                .withEnvFrom(envFrom(spec.credentials(), settings))
                .withResources(resources(spec, settings))
                .withVolumeMounts(mounts)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewSecurityContext()
                .withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .build();
    }

    private static List<EnvVar> env(LoraFineTune run, Profile profile, OperatorSettings settings) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("KUBELORA_RUN_NAME", run.getMetadata().getName(), null));
        env.add(new EnvVar("KUBELORA_NAMESPACE", run.getMetadata().getNamespace(), null));
        env.add(new EnvVar("HOME", "/tmp", null));
        env.addAll(CacheVolumes.environment(
                CacheVolumes.modelCache(run.getSpec().resources(), settings).isPresent()));
        env.add(new EnvVar("KUBELORA_PVC_ROOT", PvcMounts.ROOT, null));
        // The GPUs the pod gets: a trainer that can use fewer stops at once (GpuUnavailable) instead of training on
        // the CPU while the GPUs stay reserved.
        env.add(new EnvVar(TrainerEnvironment.POD_GPUS, Integer.toString(run.getSpec().resources().gpus()), null));
        CredentialsSpec credentials = run.getSpec().credentials();
        boolean ownStorageSecret = credentials != null && credentials.storageSecretName() != null;
        // A Secret named in the spec may carry its own AWS_ENDPOINT_URL; only a run without one gets the default.
        if (!ownStorageSecret && settings.defaultStorageEndpoint().isPresent()) {
            env.add(new EnvVar("AWS_ENDPOINT_URL", settings.defaultStorageEndpoint().get(), null));
        }
        if (credentials != null && credentials.huggingFaceToken() != null) {
            env.add(new EnvVarBuilder().withName("HF_TOKEN").withNewValueFrom()
                    .withSecretKeyRef(credentials.huggingFaceToken()).endValueFrom().build());
        }
        if (profile != null && profile.spec().gpuMemory() != null) {
            env.add(new EnvVar(TrainerEnvironment.GPU_MEMORY,
                    profile.spec().gpuMemory().getNumericalAmount().toBigInteger().toString(), null));
        }
        // Kubernetes expands $(NAME) in values with the variables above (HF_TOKEN among them): $$ keeps them as
        // written, so a plain variable can never carry a secret's value.
        for (EnvVarSpec variable : run.getSpec().env()) {
            String value = variable.value() == null ? "" : variable.value();
            env.add(new EnvVar(variable.name(), value.replace("$(", "$$("), null));
        }
        return env;
    }

    private static List<EnvFromSource> envFrom(CredentialsSpec credentials, OperatorSettings settings) {
        if (credentials != null && credentials.storageSecretName() != null) {
            return List.of(new EnvFromSourceBuilder().withNewSecretRef()
                    .withName(credentials.storageSecretName()).withOptional(false).endSecretRef().build());
        }
        // The operator-wide default may not exist in every namespace (e.g. where pods use workload identity).
        return settings.defaultStorageSecretName()
                .map(name -> List.of(new EnvFromSourceBuilder().withNewSecretRef()
                        .withName(name).withOptional(true).endSecretRef().build()))
                .orElse(List.of());
    }

    private static ResourceRequirements resources(LoraFineTuneSpec spec, OperatorSettings settings) {
        ResourcesSpec r = spec.resources();
        Map<String, Quantity> limits = new LinkedHashMap<>();
        Map<String, Quantity> requests = new LinkedHashMap<>();
        if (r.gpus() > 0) {
            limits.put(gpuResourceName(spec, settings), new Quantity(Integer.toString(r.gpus())));
        }
        if (r.memory() != null) {
            // Request equals limit: a training pod evicted under memory pressure loses its progress.
            requests.put("memory", r.memory());
            limits.put("memory", r.memory());
        }
        if (r.cpu() != null) {
            requests.put("cpu", r.cpu());
        }
        // The scratch disk the cache emptyDir may fill: placed on a node that has it, never evicted for using it.
        CacheVolumes.scratchSize(r, settings).ifPresent(size -> requests.put("ephemeral-storage", size));
        return new ResourceRequirementsBuilder()
                .withLimits(limits.isEmpty() ? null : limits)
                .withRequests(requests.isEmpty() ? null : requests)
                .build();
    }

    private static VolumeMount mount(String volume, String path, boolean readOnly) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(readOnly).build();
    }
}
