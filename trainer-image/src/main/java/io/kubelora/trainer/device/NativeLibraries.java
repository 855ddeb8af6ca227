package io.kubelora.trainer.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The shared libraries this process has really loaded, read from /proc/self/maps (Linux): which libtorch, which
 * JNI and which CUDA runtime are in use, whatever the environment variables say. Empty where /proc is missing.
 */
public final class NativeLibraries {

    private NativeLibraries() {
    }

    /** The first loaded library whose file name starts with {@code prefix} (e.g. "libcudart.so"). */
    public static Optional<Path> find(String prefix) {
        return loaded().stream().filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst();
    }

    /** The first loaded library whose file name contains {@code part} (e.g. "libdjl_torch"). */
    public static Optional<Path> findContaining(String part) {
        return loaded().stream().filter(p -> p.getFileName().toString().contains(part)).findFirst();
    }

    /**
     * The CUDA runtime a CUDA build of libtorch in {@code libtorchFolder} loaded: the mapped libcudart under the
     * folder's grandparent (a wheel keeps it in site-packages/nvidia/cuda_runtime/lib, a libtorch archive beside
     * libtorch), else the only or first one mapped. DJL's own GPU count may have loaded another one by name.
     */
    static Optional<Path> cudaRuntimeOf(Path libtorchFolder) {
        return cudaRuntimeOf(libtorchFolder, loaded());
    }

    static Optional<Path> cudaRuntimeOf(Path libtorchFolder, Collection<Path> loaded) {
        Path root = libtorchFolder.getParent() == null || libtorchFolder.getParent().getParent() == null
                ? libtorchFolder : libtorchFolder.getParent().getParent();
        List<Path> runtimes = loaded.stream().filter(p -> p.getFileName().toString().startsWith("libcudart")).toList();
        return runtimes.stream().filter(p -> p.startsWith(root)).findFirst().or(() -> runtimes.stream().findFirst());
    }

    /** Paths of every mapped shared object, in map order. */
    static Set<Path> loaded() {
        Set<Path> libraries = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.contains(".so")) {
                    libraries.add(Path.of(line.substring(slash).trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: nothing can be said
        }
        return libraries;
    }
}
