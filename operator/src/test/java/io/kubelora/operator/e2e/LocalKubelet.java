package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * The Job controller and the kubelet of a one-node cluster, against the mock API server: each Job that is
 * not suspended gets a pod, and the pod's trainer container really runs, as a local process. Pod and Job
 * statuses are written as Kubernetes writes them (Pending, Running with a pod IP, terminated with exit code,
 * reason and termination message; Job Complete, or Failed once {@code backoffLimit} retries are used up).
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
    /** The latest pod's log by Job name, for failure messages. */
    private final Map<String, Path> logs = new ConcurrentHashMap<>();
    private SharedIndexInformer<Job> informer;

    LocalKubelet(KubernetesClient client, TrainerDistribution trainer, Path workRoot) {
        this.client = client;
        this.trainer = trainer;
        this.workRoot = workRoot;
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
    }

    /** The log of the Job's latest pod, or a note that it has none. */
    String logOf(String jobName) {
        Path log = logs.get(jobName);
        try {
            return log == null || !Files.exists(log) ? "(no pod log for Job " + jobName + ")" : Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private void consider(Job job) {
        if (Boolean.TRUE.equals(job.getSpec().getSuspend()) || RunStatus.isFinished(job)
                || !started.add(job.getMetadata().getUid())) {
            return;
        }
        workers.submit(() -> {
            try {
                runJob(job);
            } catch (Exception e) {
                LOG.errorf(e, "local kubelet: Job %s", job.getMetadata().getName());
            }
        });
    }

    /** Pods one after another until one succeeds or the Job's backoff limit is used up. */
    private void runJob(Job job) throws IOException, InterruptedException {
        int backoffLimit = job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();
        String startTime = PodStatuses.now();
        updateJobStatus(job, s -> {
            s.setStartTime(startTime);
            s.setActive(1);
            return s;
        });
        for (int failed = 0; ; ) {
            Integer exitCode = runPod(job);
            if (exitCode == null) {
                return; // the Job was deleted
            }
            if (exitCode == 0) {
                String done = PodStatuses.now();
                updateJobStatus(job, s -> {
                    s.setActive(null);
                    s.setSucceeded(1);
                    s.setCompletionTime(done);
                    s.setConditions(List.of(new JobConditionBuilder().withType("Complete").withStatus("True")
                            .withLastProbeTime(done).withLastTransitionTime(done).build()));
                    return s;
                });
                return;
            }
            failed++;
            int failures = failed;
            if (failed > backoffLimit) {
                String done = PodStatuses.now();
                updateJobStatus(job, s -> {
                    s.setActive(null);
                    s.setFailed(failures);
                    s.setConditions(List.of(new JobConditionBuilder().withType("Failed").withStatus("True")
                            .withReason("BackoffLimitExceeded")
                            .withMessage("Job has reached the specified backoff limit")
                            .withLastProbeTime(done).withLastTransitionTime(done).build()));
                    return s;
                });
                return;
            }
            updateJobStatus(job, s -> {
                s.setFailed(failures);
                return s;
            });
        }
    }

    /**
     * Creates one pod of the Job, runs its trainer container to the end, and returns the exit code; null when
     * the Job was deleted first.
     */
    private Integer runPod(Job job) throws IOException, InterruptedException {
        String namespace = job.getMetadata().getNamespace();
        if (jobGone(job)) {
            return null;
        }
        Pod pod = client.pods().inNamespace(namespace).resource(podFor(job)).create();
        String podName = pod.getMetadata().getName();
        Container container = pod.getSpec().getContainers().get(0);
        Path root = workRoot.resolve(podName);
        Path log = Files.createDirectories(root).resolve("container.log");
        logs.put(job.getMetadata().getName(), log);
        writePodStatus(pod, PodStatuses.pending(container));

        PodSandbox sandbox;
        Map<String, String> env;
        try {
            sandbox = PodSandbox.prepare(client, pod, container, root);
            env = sandbox.environment(client, namespace, container);
        } catch (PodSandbox.ConfigError e) {
            // As the kubelet: the pod waits (here for good) until what it needs exists.
            writePodStatus(pod, PodStatuses.waiting(container, "CreateContainerConfigError", e.getMessage()));
            while (!jobGone(job)) {
                Thread.sleep(500);
            }
            return null;
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
        if (running.remove(job.getMetadata().getUid()) == null) {
            return null; // stopped because its Job was deleted
        }
        int exitCode = process.exitValue();
        String message = Files.readString(terminationLog, StandardCharsets.UTF_8);
        if (message.isBlank() && exitCode != 0) {
            message = tail(log); // terminationMessagePolicy: FallbackToLogsOnError
        }
        writePodStatus(pod, PodStatuses.terminated(container, startedAt, exitCode, message));
        return exitCode;
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

    private boolean jobGone(Job job) {
        Job current = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName()).get();
        return current == null || !job.getMetadata().getUid().equals(current.getMetadata().getUid());
    }

    private void writePodStatus(Pod pod, PodStatus status) {
        retryOnConflict(() -> {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName()).get();
            current.setStatus(status);
            client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(current).updateStatus();
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
    private static void retryOnConflict(Runnable update) {
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
        running.values().forEach(Process::destroy);
        workers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }
}
