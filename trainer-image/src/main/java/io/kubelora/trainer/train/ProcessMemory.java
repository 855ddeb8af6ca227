package io.kubelora.trainer.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process, from /proc/self/status (Linux); 0 where that is not available. */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** Current resident set size (VmRSS) in bytes. */
    public static long residentBytes() {
        return read("VmRSS:");
    }

    /** Peak resident set size (VmHWM) in bytes. */
    public static long peakResidentBytes() {
        return read("VmHWM:");
    }

    /**
     * Lowers the peak resident set size to the current one (Linux 4.0+: "5" to /proc/self/clear_refs), so that
     * a later {@link #peakResidentBytes} measures what happened since. Returns false where that is not possible.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The part of the resident set that is mapped file pages (RssFile) in bytes. */
    public static long residentFileBytes() {
        return read("RssFile:");
    }

    private static long read(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
