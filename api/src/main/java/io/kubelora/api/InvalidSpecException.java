package io.kubelora.api;

import java.util.List;
import java.util.stream.Collectors;

/** A LoraFineTune (or a profile or policy it uses) that must not run, with every reason found. */
public class InvalidSpecException extends RuntimeException {

    private final List<Violation> violations;

    public InvalidSpecException(String source, List<Violation> violations) {
        this(source, "LoraFineTune", violations);
    }

    /** A resource of another kind (a FineTuneProfile, a FineTunePolicy) that cannot be used. */
    public InvalidSpecException(String source, String kind, List<Violation> violations) {
        super((source == null ? "" : source + ": ") + "invalid " + kind + ": "
                + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
