package io.kubelora.trainer;

import java.util.List;
import java.util.regex.Pattern;

/** Lines of a trainer's output that come from its libraries rather than from the trainer itself. */
public final class LibraryChatter {

    /**
     * Log lines of loggers outside io.kubelora (slf4j-simple's format, with or without a thread name), libtorch's
     * native warnings ("[W1129 20:19:28.61 LegacyTypeDispatch.h:74] Warning: ..."), and DJL's CUDA count warning.
     */
    private static final Pattern CHATTER = Pattern.compile(
            "^(\\[[^\\]]*\\] )?(TRACE|DEBUG|INFO|WARN|ERROR) (?!io\\.kubelora)[\\w.$]+ - .*"
                    + "|^\\[[WEI]\\d{4} .*"
                    + "|.*CUDA driver version is insufficient.*"
                    + "|.*AutoNonVariableTypeMode.*");

    private LibraryChatter() {
    }

    public static List<String> in(String output) {
        return output.lines().filter(l -> CHATTER.matcher(l).matches()).toList();
    }
}
