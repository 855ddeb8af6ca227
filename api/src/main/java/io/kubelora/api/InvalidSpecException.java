package io.kubelora.api;

import java.util.List;
import java.util.stream.Collectors;

/** A LoraFineTune that must not run, with every reason found. */
public class InvalidSpecException extends RuntimeException {

    private final List<Violation> violations;

    public InvalidSpecException(String source, List<Violation> violations) {
        super((source == null ? "" : source + ": ") + "invalid LoraFineTune: "
                + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
