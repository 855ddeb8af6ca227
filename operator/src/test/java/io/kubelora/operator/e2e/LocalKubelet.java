package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubelora.operator.resources.TrainingJob;
import io.kubelora.operator.status.RunStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The Job controller and the kubelet of a one-node cluster, against the mock API server: each Job that is
 * not suspended gets a pod, and the pod's trainer container really runs, as a local process. Pod and Job
 * statuses are written as Kubernetes writes them (Pending, Running with a pod IP, terminated with exit code,
 * reason and termination message; Job Complete, or Failed once {@code backoffLimit} retries are used up or a
 * {@code podFailurePolicy} rule says FailJob).
 *
 * <p>As the Job controller, it puts its tracking finalizer on each pod, decides what a failed pod means with
 * {@link PodFailurePolicyRules} (Ignore: replaced without counting; FailJob; Count), and only then releases the
 * pod. As the kubelet, it stops a pod that is deleted while it runs the way Kubernetes does: SIGTERM, SIGKILL
 * after {@code terminationGracePeriodSeconds}, then a terminal phase that keeps the conditions others set
 * (such as the scheduler's or the eviction API's {@code DisruptionTarget}).
 *
 * <p>All pods share the host's network, so each declared container port is mapped to a free local port:
 * the pod declares the mapped port, and an argument naming the port ({@code --metrics-port 9090}) is
 * rewritten to it.
 */
final class LocalKubelet implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LocalKubelet.class);
    /** The container runtime keeps only the end of a log as a fallback termination message. */
    private static final int LOG_TAIL_BYTES = 2048;
    private static final Set<String> HOST_ENV = Set.of("PATH", "LANG", "LC_ALL", "TZ", "OMP_WAIT_POLICY");
    /** Pod condition types the kubelet writes; any other (e.g. DisruptionTarget) is kept as it is. */
    private static final Set<String> KUBELET_CONDITIONS = Set.of("PodScheduled", "Initialized", "ContainersReady",
            "Ready", "PodReadyToStartContainers");
    private static final long DEFAULT_GRACE_SECONDS = 30;

    private final KubernetesClient client;
    private final TrainerDistribution trainer;
    private final Path workRoot;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "local-kubelet");
        thread.setDaemon(true);
        return thread;
    });
    /** Jobs (by uid) already taken on; each runs once. */
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Running trainer processes by Job uid, stopped when their Job is deleted. */
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    /** Names of running pods that were deleted (and sent SIGTERM). */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    /** The logs of each Job's pods in the order they started, by Job name. */
    private final Map<String, List<Path>> logs = new ConcurrentHashMap<>();
    private final LocalJobController jobs;
    private SharedIndexInformer<Job> informer;
    private SharedIndexInformer<Pod> podInformer;

    LocalKubelet(KubernetesClient client, TrainerDistribution trainer, Path workRoot) {
        this.client = client;
        this.trainer = trainer;
        this.workRoot = workRoot;
        this.jobs = new LocalJobController(client, this::runPod);
    }

    /** Starts watching the namespace's Jobs. */
    void start(String namespace) {
        informer = client.batch().v1().jobs().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Job job) {
                consider(job);
            }

            @Override
            public void onUpdate(Job before, Job job) {
                consider(job);
            }

            @Override
            public void onDelete(Job job, boolean finalStateUnknown) {
                Process process = running.remove(job.getMetadata().getUid());
                if (process != null) {
                    process.destroy();
                }
            }
        });
        podInformer = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                stopIfDeleted(pod);
            }

            @Override
            public void onUpdate(Pod before, Pod pod) {
                stopIfDeleted(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                // gone after its finalizer was released
            }
        });
    }

    /** A running pod being deleted: SIGTERM now, SIGKILL when its grace period is over. */
    private void stopIfDeleted(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() == null || pod.getMetadata().getOwnerReferences() == null
                || pod.getMetadata().getOwnerReferences().isEmpty()) {
            return;
        }
        Process process = running.get(pod.getMetadata().getOwnerReferences().get(0).getUid());
        if (process == null || !deleted.add(pod.getMetadata().getName())) {
            return;
        }
        Long grace = pod.getSpec().getTerminationGracePeriodSeconds();
        long seconds = grace == null ? DEFAULT_GRACE_SECONDS : grace;
        process.destroy();
        workers.submit(() -> {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            return null;
        });
    }

    /** The log of the Job's latest pod, or a note that it has none. */
    String logOf(String jobName) {
        List<String> all = podLogs(jobName);
        return all.isEmpty() ? "(no pod log for Job " + jobName + ")" : all.get(all.size() - 1);
    }

    /** The logs of every pod the Job has had, oldest first. */
    List<String> podLogs(String jobName) {
        List<String> texts = new ArrayList<>();
        for (Path log : logs.getOrDefault(jobName, List.of())) {
            try {
                texts.add(Files.exists(log) ? Files.readString(log) : "");
            } catch (IOException e) {
                texts.add("(cannot read " + log + ": " + e.getMessage() + ")");
            }
        }
        return texts;
    }

    private void consider(Job job) {
        if (Boolean.TRUE.equals(job.getSpec().getSuspend()) || RunStatus.isFinished(job)
                || !started.add(job.getMetadata().getUid())) {
            return;
        }
        workers.submit(() -> {
            try {
                jobs.run(job);
            } catch (Exception e) {
                LOG.errorf(e, "local kubelet: Job %s", job.getMetadata().getName());
            }
        });
    }

    /**
     * Creates one pod of the Job, runs its trainer container to the end, and returns the pod in its terminal
     * phase, or the pod as it was when its Job was deleted.
     */
    private LocalJobController.PodEnd runPod(Job job) throws IOException, InterruptedException {
        String namespace = job.getMetadata().getNamespace();
        Pod pod = client.pods().inNamespace(namespace).resource(podFor(job)).create();
        String podName = pod.getMetadata().getName();
        Container container = pod.getSpec().getContainers().get(0);
        Path root = workRoot.resolve(podName);
        Path log = Files.createDirectories(root).resolve("container.log");
        logs.computeIfAbsent(job.getMetadata().getName(), k -> new CopyOnWriteArrayList<>()).add(log);
        writePodStatus(pod, PodStatuses.pending(container));

        PodSandbox sandbox;
        Map<String, String> env;
        try {
            sandbox = PodSandbox.prepare(client, pod, container, root);
            env = sandbox.environment(client, namespace, container);
        } catch (PodSandbox.ConfigError e) {
            // As the kubelet: the pod waits (here for good) until what it needs exists.
            writePodStatus(pod, PodStatuses.waiting(container, "CreateContainerConfigError", e.getMessage()));
            while (!LocalJobController.jobGone(client, job)) {
                Thread.sleep(500);
            }
            return new LocalJobController.PodEnd(pod, true);
        }
        if (!List.of(TrainingJob.COMMAND).equals(container.getCommand())) {
            throw new IllegalStateException("the local kubelet runs only the trainer (" + TrainingJob.COMMAND
                    + "), not " + container.getCommand());
        }
        List<String> args = container.getArgs().stream().map(sandbox::translate).toList();
        Path terminationLog = Files.createFile(root.resolve("termination-log"));
        ProcessBuilder builder = trainer.command(args)
                .directory(sandbox.root().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().retainAll(HOST_ENV);
        builder.environment().putAll(env);
        builder.environment().put("KUBELORA_TERMINATION_LOG", terminationLog.toString());
        String startedAt = PodStatuses.now();
        Process process = builder.start();
        running.put(job.getMetadata().getUid(), process);
        writePodStatus(pod, PodStatuses.running(container, startedAt));

        Long activeDeadline = job.getSpec().getActiveDeadlineSeconds();
        long deadline = activeDeadline == null ? 600 : activeDeadline;
        if (!process.waitFor(deadline, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        deleted.remove(podName);
        if (running.remove(job.getMetadata().getUid()) == null) {
            return new LocalJobController.PodEnd(pod, true); // stopped because its Job was deleted
        }
        int exitCode = process.exitValue();
        String message = Files.readString(terminationLog, StandardCharsets.UTF_8);
        if (message.isBlank() && exitCode != 0) {
            message = tail(log); // terminationMessagePolicy: FallbackToLogsOnError
        }
        return new LocalJobController.PodEnd(
                writePodStatus(pod, PodStatuses.terminated(container, startedAt, exitCode, message)), false);
    }

    /** The pod the Job controller makes from the template, with its ports mapped onto the host. */
    private Pod podFor(Job job) throws IOException {
        String jobName = job.getMetadata().getName();
        String uid = job.getMetadata().getUid();
        Map<String, String> labels = new LinkedHashMap<>();
        if (job.getSpec().getTemplate().getMetadata().getLabels() != null) {
            labels.putAll(job.getSpec().getTemplate().getMetadata().getLabels());
        }
        labels.put("job-name", jobName);
        labels.put("controller-uid", uid);
        labels.put("batch.kubernetes.io/job-name", jobName);
        labels.put("batch.kubernetes.io/controller-uid", uid);
        PodSpec spec = new PodBuilder().withSpec(job.getSpec().getTemplate().getSpec()).build().getSpec();
        for (Container container : spec.getContainers()) {
            mapPorts(container);
        }
        return new PodBuilder()
                .withNewMetadata()
                .withName(jobName + "-" + suffix())
                .withNamespace(job.getMetadata().getNamespace())
                .withLabels(labels)
                .withFinalizers(LocalJobController.TRACKING_FINALIZER)
                .addNewOwnerReference().withApiVersion("batch/v1").withKind("Job").withName(jobName).withUid(uid)
                .withController(true).withBlockOwnerDeletion(true).endOwnerReference()
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    private static void mapPorts(Container container) throws IOException {
        if (container.getPorts() == null) {
            return;
        }
        Map<String, String> renamed = new HashMap<>();
        for (ContainerPort port : container.getPorts()) {
            int hostPort = S3Server.freePort();
            renamed.put(Integer.toString(port.getContainerPort()), Integer.toString(hostPort));
            port.setContainerPort(hostPort);
        }
        List<String> args = new ArrayList<>(container.getArgs() == null ? List.of() : container.getArgs());
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i - 1).endsWith("-port") && renamed.containsKey(args.get(i))) {
                args.set(i, renamed.get(args.get(i)));
            }
        }
        container.setArgs(args);
    }

    /** Writes the kubelet's view of the pod, keeping the conditions other components set; returns the pod. */
    private Pod writePodStatus(Pod pod, PodStatus status) {
        List<Pod> written = new ArrayList<>(1);
        List<PodCondition> own = List.copyOf(status.getConditions());
        LocalJobController.retryOnConflict(() -> {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName()).get();
            List<PodCondition> conditions = new ArrayList<>(own);
            if (current.getStatus() != null && current.getStatus().getConditions() != null) {
                current.getStatus().getConditions().stream()
                        .filter(c -> !KUBELET_CONDITIONS.contains(c.getType()))
                        .forEach(conditions::add);
            }
            status.setConditions(conditions);
            current.setStatus(status);
            written.clear();
            written.add(client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(current).updateStatus());
        });
        return written.get(0);
    }

    private static String tail(Path log) throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        int from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    private static String suffix() {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            s.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return s.toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (informer != null) {
            informer.close();
        }
        if (podInformer != null) {
            podInformer.close();
        }
        running.values().forEach(Process::destroy);
        workers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }
}
