package io.kubelora.operator.status;

import io.kubelora.api.ProfileReference;
import io.kubelora.api.Violation;
import java.util.List;

/**
 * What the platform said about a valid run that has no Job yet: the profile its effective spec was made from,
 * what its profile's locks and its namespace's FineTunePolicies forbid, or why it waits.
 *
 * @param profile          the profile used, or null
 * @param policyViolations reasons the run may not start: it fails with reason PolicyViolation
 * @param waiting          why the run waits for its Job (WaitingForQuota, ProfileNotFound), or null
 */
public record StartGate(ProfileReference profile, List<Violation> policyViolations, Waiting waiting) {

    /** A run that waits: the reason and message of its Pending status; stalled when a person must act. */
    public record Waiting(String reason, String message, boolean stalled) {
    }

    /** Nothing in the way, or nothing known: a run that already has its Job. */
    public static final StartGate OPEN = new StartGate(null, List.of(), null);

    public StartGate {
        policyViolations = policyViolations == null ? List.of() : List.copyOf(policyViolations);
    }

    public static StartGate waiting(ProfileReference profile, String reason, String message, boolean stalled) {
        return new StartGate(profile, List.of(), new Waiting(reason, message, stalled));
    }
}
