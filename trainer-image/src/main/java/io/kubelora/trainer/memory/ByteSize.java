package io.kubelora.trainer.memory;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes as people and Kubernetes write them: a number with an optional binary (Ki, Mi, Gi, Ti) or decimal
 * (k, M, G, T) suffix, optionally followed by B ({@code 24Gi}, {@code 80GB}, {@code 17179869184}).
 */
public final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kKMGT]i?)?B?");
    private static final Map<String, Long> UNITS = Map.of("k", 1_000L, "K", 1_000L, "M", 1_000_000L,
            "G", 1_000_000_000L, "T", 1_000_000_000_000L, "Ki", 1L << 10, "Mi", 1L << 20, "Gi", 1L << 30,
            "Ti", 1L << 40);

    private ByteSize() {
    }

    /** The bytes of {@code text}; an unreadable size is an error naming {@code what}. */
    public static long parse(String text, String what) {
        Matcher m = text == null ? null : SIZE.matcher(text.trim());
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a memory size such as 24Gi, 80GB or "
                    + "17179869184");
        }
        long unit = m.group(2) == null ? 1 : UNITS.get(m.group(2).equals("ki") ? "Ki" : m.group(2));
        long bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).longValue();
        if (bytes <= 0) {
            throw new IllegalArgumentException(what + ": '" + text + "' must be more than 0 bytes");
        }
        return bytes;
    }

    /** {@code bytes} in GiB with two decimals, e.g. {@code 6.92 GiB}. */
    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
