package io.kubelora.operator;

import jakarta.inject.Singleton;
import java.util.UUID;

/**
 * This replica of the operator, named after its pod (HOSTNAME) or, outside a pod, a random id: the identity it
 * holds the leader Lease with and the reportingInstance of its Events.
 */
@Singleton
public class OperatorInstance {

    private final String identity;

    public OperatorInstance() {
        this(System.getenv("HOSTNAME"));
    }

    OperatorInstance(String hostname) {
        this.identity = hostname == null || hostname.isBlank() ? "kubelora-operator-" + UUID.randomUUID() : hostname;
    }

    public String identity() {
        return identity;
    }
}
