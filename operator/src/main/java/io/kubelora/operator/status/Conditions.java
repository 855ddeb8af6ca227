package io.kubelora.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.util.ArrayList;
import java.util.List;

/** Condition types and the rule that lastTransitionTime moves only when a condition's status flips. */
public final class Conditions {

    // kstatus: Argo CD and Flux judge health from these three.
    public static final String READY = "Ready";
    public static final String RECONCILING = "Reconciling";
    public static final String STALLED = "Stalled";
    public static final String VALIDATED = "Validated";
    public static final String TRAINED = "Trained";
    public static final String MERGED = "Merged";
    public static final String SPEC_CHANGE_IGNORED = "SpecChangeIgnored";

    private Conditions() {
    }

    public static Condition of(String type, boolean status, String reason, String message) {
        return new ConditionBuilder().withType(type).withStatus(status ? "True" : "False")
                .withReason(reason).withMessage(message == null ? "" : message).build();
    }

    /**
     * The desired conditions stamped with generation and transition times: a condition keeps its previous
     * lastTransitionTime while its status stays the same.
     */
    public static List<Condition> stamp(List<Condition> desired, List<Condition> previous, long generation,
            String now) {
        List<Condition> out = new ArrayList<>(desired.size());
        for (Condition c : desired) {
            Condition before = find(previous, c.getType());
            String since = before != null && c.getStatus().equals(before.getStatus())
                    && before.getLastTransitionTime() != null ? before.getLastTransitionTime() : now;
            out.add(new ConditionBuilder(c).withObservedGeneration(generation).withLastTransitionTime(since).build());
        }
        return out;
    }

    /** The condition of a type, or null. */
    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && "True".equals(c.getStatus());
    }
}
