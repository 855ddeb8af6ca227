package io.kubelora.operator.ha;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The Lease the operator's replicas elect their leader with (the Helm chart sets name and namespace). */
@ConfigMapping(prefix = "kubelora.operator.leader-election")
public interface LeaderElectionSettings {

    /** Name of the coordination.k8s.io Lease. */
    @WithDefault("kubelora-operator")
    String leaseName();

    /** Namespace of the Lease; unset: the namespace of the operator's Kubernetes client (its pod's). */
    Optional<String> leaseNamespace();

    /** How long a leader's claim lasts without renewal: the longest a standby waits after the leader died. */
    @WithDefault("15s")
    Duration leaseDuration();

    /** How long the leader keeps trying to renew before it gives the lease up. */
    @WithDefault("10s")
    Duration renewDeadline();

    /** How often a standby tries to acquire the lease, and the leader to renew it. */
    @WithDefault("2s")
    Duration retryPeriod();
}
