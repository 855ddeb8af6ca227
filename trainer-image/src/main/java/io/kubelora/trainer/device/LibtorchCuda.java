package io.kubelora.trainer.device;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.script.ScriptModule;

/**
 * The number of CUDA devices libtorch itself can use, asked through TorchScript's {@code cuda::device_count}
 * (libtorch's at::cuda::device_count). DJL has no call for it; its own count goes through JNA and a CUDA runtime
 * found by name, which may not be the one libtorch uses, or none at all.
 */
final class LibtorchCuda {

    private static final String METHODS = """
              def count(self: __torch__.CudaCount, x: Tensor) -> Tensor:
                return torch.tensor([ops.cuda.device_count()])
            """;

    private LibtorchCuda() {
    }

    /** The devices libtorch sees, or -1 and libtorch's error when it cannot tell (a CPU build lacks the op). */
    record Count(int devices, String error) {
    }

    static Count deviceCount() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             ScriptModule script = ScriptModule.load("CudaCount", METHODS, manager);
             NDArray dummy = manager.zeros(new Shape(1));
             NDArray count = script.call("count", dummy)) {
            return new Count(Math.toIntExact(count.toLongArray()[0]), null);
        } catch (EngineException e) {
            return new Count(-1, firstMeaningfulLine(e.getMessage()));
        }
    }

    /** libtorch's messages start with blank lines and end with a source excerpt: keep the sentence. */
    private static String firstMeaningfulLine(String message) {
        if (message == null) {
            return "no message";
        }
        return message.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse(message.trim());
    }
}
