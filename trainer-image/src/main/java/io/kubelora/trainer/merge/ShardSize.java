package io.kubelora.trainer.merge;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code max_shard_size} notation of Hugging Face's save_pretrained: a byte count ({@code 1000000}) or a
 * number with a unit, where decimal units are powers of ten ({@code KB}, {@code MB}, {@code GB}, {@code TB}) and
 * binary units powers of two ({@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}). So {@code 5GB} is
 * 5,000,000,000 bytes and {@code 2GiB} is 2,147,483,648. Units are case-sensitive: Hugging Face reads a lower-case
 * {@code b} as bits, so {@code 5Gb} is refused here rather than silently taken as a byte count.
 */
public final class ShardSize {

    private static final Pattern SIZE = Pattern.compile("([0-9]+)\\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?");

    private ShardSize() {
    }

    /** Bytes named by {@code text}; {@code field} names the option in the error message. */
    public static long parse(String field, String text) {
        if (text == null) {
            throw new IllegalArgumentException(field + " is required (e.g. 5GB, 500MB or 2GiB)");
        }
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(field + " must be a size such as 5GB, 500MB, 2GiB or a byte count, "
                    + "was '" + text + "'");
        }
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
            case "B" -> 1L;
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            case "TiB" -> 1L << 40;
            default -> throw new IllegalStateException(m.group(2));
        };
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(field + " is too large: '" + text + "'");
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException(field + " must be positive, was '" + text + "'");
        }
        return bytes;
    }
}
