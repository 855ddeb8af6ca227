package io.kubelora.trainer.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The NVIDIA kernel driver as /proc shows it: present in a GPU container or on a GPU host, absent elsewhere. */
final class NvidiaDriver {

    private static final Path VERSION_FILE = Path.of("/proc/driver/nvidia/version");

    private NvidiaDriver() {
    }

    /** e.g. "NVIDIA driver: NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15 ...", or why there is none. */
    static String describe() {
        try {
            List<String> lines = Files.readAllLines(VERSION_FILE);
            return lines.isEmpty() ? "NVIDIA driver: " + VERSION_FILE + " is empty"
                    : "NVIDIA driver: " + lines.get(0).replaceAll("\\s+", " ").trim();
        } catch (IOException e) {
            return "no NVIDIA driver loaded (" + VERSION_FILE + " is absent)";
        }
    }
}
