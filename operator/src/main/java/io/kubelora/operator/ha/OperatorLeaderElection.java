package io.kubelora.operator.ha;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.kubelora.operator.OperatorInstance;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Leader election of the operator's replicas: only the replica holding the Lease reconciles; the others wait as
 * standbys and one takes over when the leader's Lease runs out. Active in the prod profile (the operator SDK's
 * default), so a local {@code quarkus:dev} or a test runs alone without a Lease.
 *
 * <p>A leader that loses its Lease while running (it could not renew in time) exits, so that two replicas never
 * reconcile at once; Kubernetes restarts it as a standby. A leader that is shut down (rolling update, drain)
 * hands the Lease over at once instead: the SDK would otherwise call System.exit from inside the shutdown, which
 * blocks the JVM until the pod is killed, and the standby would wait for the Lease to expire.
 */
@Singleton
public class OperatorLeaderElection {

    private static final Logger LOG = Logger.getLogger(OperatorLeaderElection.class);

    private final AtomicBoolean shuttingDown = new AtomicBoolean();

    @Produces
    @Singleton
    LeaderElectionConfiguration configuration(LeaderElectionSettings settings, OperatorInstance instance,
            KubernetesClient client) {
        String namespace = settings.leaseNamespace().filter(s -> !s.isBlank()).orElse(client.getNamespace());
        String identity = instance.identity();
        LeaderCallbacks callbacks = new LeaderCallbacks(
                () -> LOG.infof("%s leads: it reconciles LoraFineTunes (Lease %s/%s)", identity, namespace,
                        settings.leaseName()),
                () -> stoppedLeading(client, namespace, settings.leaseName(), identity),
                leader -> LOG.infof("leader of the KubeLoRA operator: %s", leader));
        return new LeaderElectionConfiguration(settings.leaseName(), namespace, settings.leaseDuration(),
                settings.renewDeadline(), settings.retryPeriod(), identity, callbacks, false);
    }

    /** Before the operator SDK stops (its shutdown observer has the default priority). */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        shuttingDown.set(true);
    }

    private void stoppedLeading(KubernetesClient client, String namespace, String leaseName, String identity) {
        if (shuttingDown.get()) {
            release(client, namespace, leaseName, identity);
            return;
        }
        LOG.errorf("%s lost the leader Lease %s/%s; exiting so that only the new leader reconciles", identity,
                namespace, leaseName);
        Quarkus.asyncExit(1);
    }

    /** Empties the Lease if this replica still holds it, so that a standby acquires it on its next try. */
    static void release(KubernetesClient client, String namespace, String leaseName, String identity) {
        try {
            Lease lease = client.leases().inNamespace(namespace).withName(leaseName).get();
            if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
                return;
            }
            lease.getSpec().setHolderIdentity("");
            lease.getSpec().setLeaseDurationSeconds(1);
            // Optimistic: refused (409) if it was renewed or taken meanwhile, which is fine.
            client.leases().inNamespace(namespace).resource(lease).update();
            LOG.infof("%s handed the leader Lease %s/%s over", identity, namespace, leaseName);
        } catch (KubernetesClientException e) {
            LOG.warnf("%s could not hand the leader Lease over (a standby takes it when it expires): %s", identity,
                    e.getMessage());
        }
    }
}
