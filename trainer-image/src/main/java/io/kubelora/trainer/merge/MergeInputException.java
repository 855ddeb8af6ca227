package io.kubelora.trainer.merge;

import java.util.List;

/**
 * A model and adapter that cannot be merged (shapes, ranks or module names do not fit), found before anything is
 * written. The message lists every problem, each naming the tensor or file concerned.
 */
public final class MergeInputException extends IllegalArgumentException {

    private static final int MAX_LISTED = 20;

    MergeInputException(String context, List<String> problems) {
        super(describe(context, problems));
    }

    private static String describe(String context, List<String> problems) {
        StringBuilder text = new StringBuilder(context).append(": ");
        List<String> shown = problems.subList(0, Math.min(MAX_LISTED, problems.size()));
        text.append(String.join("; ", shown));
        if (problems.size() > shown.size()) {
            text.append("; and ").append(problems.size() - shown.size()).append(" more");
        }
        return text.toString();
    }
}
