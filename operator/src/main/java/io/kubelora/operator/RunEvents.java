package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubelora.api.LoraFineTune;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/** Kubernetes Events on a LoraFineTune, shown by kubectl describe: one per transition of the run. */
@ApplicationScoped
public class RunEvents {

    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";
    private static final String COMPONENT = "kubelora-operator";
    /** The Event API rejects longer messages. */
    private static final int MAX_MESSAGE = 1024;
    private static final Logger LOG = Logger.getLogger(RunEvents.class);

    private final KubernetesClient client;
    private final String instance;
    /** Two events of one run in the same microsecond still get different names. */
    private final AtomicLong sequence = new AtomicLong();

    @Inject
    public RunEvents(KubernetesClient client, OperatorInstance instance) {
        this.client = client;
        this.instance = instance.identity();
    }

    /** Records an Event; a failure to record is logged, never fails the reconcile. */
    public void record(LoraFineTune run, String type, String reason, String message) {
        Instant now = Instant.now();
        String text = message == null ? "" : message.length() > MAX_MESSAGE
                ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
        String timestamp = now.truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(run.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    // kubectl's naming: the object's name and the time, plus a sequence number.
                    .withName(run.getMetadata().getName() + "." + Long.toHexString(
                            now.getEpochSecond() * 1_000_000_000L + now.getNano())
                            + Long.toHexString(sequence.getAndIncrement() & 0xfff))
                    .withNamespace(run.getMetadata().getNamespace())
                    .endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(LoraFineTune.API_VERSION)
                    .withKind(LoraFineTune.KIND)
                    .withName(run.getMetadata().getName())
                    .withNamespace(run.getMetadata().getNamespace())
                    .withUid(run.getMetadata().getUid())
                    .endInvolvedObject()
                    .withType(type)
                    .withReason(reason)
                    .withMessage(text)
                    .withFirstTimestamp(timestamp)
                    .withLastTimestamp(timestamp)
                    .withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    // Which replica acted, when several run (one leads at a time).
                    .withReportingInstance(instance)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot record event %s on %s/%s: %s", reason, run.getMetadata().getNamespace(),
                    run.getMetadata().getName(), e.getMessage());
        }
    }
}
