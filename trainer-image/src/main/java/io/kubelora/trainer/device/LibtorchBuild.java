package io.kubelora.trainer.device;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The libtorch this process runs on, as the loaded libraries show it (not as the environment intends it).
 *
 * @param version     libtorch's version as DJL reads it, e.g. 2.7.1
 * @param cuda        whether it is a CUDA build (libtorch_cuda.so is loaded)
 * @param library     the loaded libtorch_cpu.so (every build has it), else DJL's libtorch folder
 * @param jni         DJL's JNI library (libdjl_torch.so) in use, or null
 * @param cudaRuntime the CUDA runtime a CUDA build loaded, or null
 */
public record LibtorchBuild(String version, boolean cuda, Path library, Path jni, Path cudaRuntime) {

    /** The libtorch of this process (loads DJL's PyTorch engine if it is not yet loaded). */
    public static LibtorchBuild current() {
        Engine.getEngine("PyTorch");
        Path library = NativeLibraries.find("libtorch_cpu.so").orElse(Path.of(LibUtils.getLibtorchPath()));
        Optional<Path> cudaLibrary = NativeLibraries.find("libtorch_cuda.so");
        Path folder = library.getParent() == null ? library : library.getParent();
        return new LibtorchBuild(LibUtils.getVersion(), cudaLibrary.isPresent(), library,
                NativeLibraries.findContaining("libdjl_torch").orElse(null),
                cudaLibrary.isPresent() ? NativeLibraries.cudaRuntimeOf(folder).orElse(null) : null);
    }

    /** "cuda" or "cpu", and the PYTORCH_FLAVOR setting when one is set. */
    public String flavour() {
        String setting = System.getenv("PYTORCH_FLAVOR");
        return (cuda ? "cuda" : "cpu") + (setting == null || setting.isBlank() ? "" : " (PYTORCH_FLAVOR " + setting + ")");
    }

    /** The folder libtorch was loaded from. */
    public Path folder() {
        return library.getParent() == null ? library : library.getParent();
    }
}
