package io.kubelora.operator;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneStatus;
import io.kubelora.operator.resources.RunLabels;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** Helpers of the tests that run the operator against the mock API server. */
abstract class OperatorTestSupport {

    @Inject
    KubernetesClient client;

    /** Where the test's runs live. */
    String namespace() {
        return Runs.NAMESPACE;
    }

    /** Creates the run as a user would: no uid or generation of our own. */
    LoraFineTune create(LoraFineTune run) {
        run.getMetadata().setUid(null);
        run.getMetadata().setGeneration(null);
        return client.resources(LoraFineTune.class).inNamespace(namespace()).resource(run).create();
    }

    LoraFineTune get(String name) {
        return client.resources(LoraFineTune.class).inNamespace(namespace()).withName(name).get();
    }

    LoraFineTuneStatus awaitStatus(String name, Predicate<LoraFineTuneStatus> until) {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(name).getStatus(), s -> s != null && until.test(s));
    }

    Job job(String name) {
        return client.batch().v1().jobs().inNamespace(namespace()).withName(name).get();
    }

    Job awaitJob(String name) {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> job(name), j -> j != null);
    }

    List<Job> jobsOf(String name) {
        return client.batch().v1().jobs().inNamespace(namespace()).withLabel(RunLabels.RUN, name).list()
                .getItems();
    }

    ConfigMap configMap(String name) {
        return client.configMaps().inNamespace(namespace()).withName(name + "-config").get();
    }

    List<Event> events(String name) {
        return client.v1().events().inNamespace(namespace()).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    Event awaitEvent(String name, String reason) {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> events(name).stream().filter(e -> reason.equals(e.getReason())).findFirst()
                        .orElse(null), e -> e != null);
    }

    /** Writes a pod as the Job controller and kubelet would (created, then its status). */
    Pod putPod(Pod pod) {
        Pod created = client.pods().inNamespace(namespace()).resource(pod).createOr(p -> p.update());
        created.setStatus(pod.getStatus());
        return client.pods().inNamespace(namespace()).resource(created).updateStatus();
    }

    /** Writes a Job's status as the Job controller would. */
    Job putJobStatus(Job job) {
        Job current = job(job.getMetadata().getName());
        current.setStatus(job.getStatus());
        return client.batch().v1().jobs().inNamespace(namespace()).resource(current).updateStatus();
    }
}
