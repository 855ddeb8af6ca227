package io.kubelora.trainer.device;

import ai.djl.engine.Engine;
import java.util.Optional;

/**
 * DJL's own GPU count (Engine.getGpuCount), which loads a CUDA runtime by name through JNA and answers 0, with
 * only a log line, when that fails: shown beside libtorch's count so a disagreement is visible.
 */
public final class DjlGpuCount {

    private DjlGpuCount() {
    }

    /** "0 (libcudart.so.13 says: CUDA driver version is insufficient ...)" or "1 (libcudart.so.12)". */
    public static String describe() {
        int count = Engine.getInstance().getGpuCount();
        Optional<CudaRuntime> runtime = CudaRuntime.byName();
        if (runtime.isEmpty()) {
            return count + " (JNA finds no libcudart by name; -Djna.library.path=<folder of libcudart.so*> shows it one)";
        }
        CudaRuntime.Answer answer = runtime.get().deviceCount();
        return count + " (" + runtime.get().origin() + (answer.ok() ? ")"
                : " says: " + answer.error() + ", cudaError " + answer.status() + ")");
    }
}
