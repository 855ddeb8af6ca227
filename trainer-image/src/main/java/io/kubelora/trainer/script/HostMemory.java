package io.kubelora.trainer.script;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Copies between a device and host memory through libtorch, which DJL cannot do for pinned (page-locked) host
 * memory: host copies of GPU arrays are pinned, so transfers run at full bus speed, and a copy into an existing
 * array reuses it. On a CPU the host copy is a plain clone.
 */
public final class HostMemory implements AutoCloseable {

    private final ScriptModule script;

    private HostMemory(ScriptModule script) {
        this.script = script;
    }

    /** Compiles the module in a sub-manager of {@code manager}. */
    public static HostMemory load(NDManager manager) {
        String self = "self: __torch__.HostMemory";
        return new HostMemory(ScriptModule.load("HostMemory", """
                  def host_copy(%1$s, x: Tensor) -> Tensor:
                    if x.is_cuda:
                      host = torch.empty(x.size(), dtype=x.dtype, device=torch.device("cpu"), pin_memory=True)
                      return host.copy_(x)
                    return x.clone()
                  def copy_into(%1$s, dst: Tensor, src: Tensor) -> Tensor:
                    return dst.copy_(src)
                """.formatted(self), manager));
    }

    /** A copy of {@code x} in host memory (pinned when x is on a GPU), attached to x's manager. */
    public NDArray hostCopy(NDArray x) {
        return script.call("host_copy", x);
    }

    /** Copies {@code source} into {@code target} (same shape and dtype, any devices); the caller turns grad mode off. */
    public void copyInto(NDArray target, NDArray source) {
        script.call("copy_into", target, source).close(); // the result is another handle on target
    }

    @Override
    public void close() {
        script.close();
    }
}
