package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.script.ScriptModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Products in bf16 (inputs rounded to bf16, results returned as fp32), with dense frozen weights held in bf16:
 * half the weight memory, and the tensor cores' bf16 rate on a GPU. DJL aborts on any bf16 array that meets its
 * dtype code (see DJL-NOTES), so the casts and products run inside a TorchScript module, where the casts stay
 * on the autograd graph and gradients reach the fp32 activations and LoRA weights; DJL only ever sees the
 * held bf16 weights as opaque arrays, which it passes back here and closes.
 */
final class Bf16Matmuls implements Matmuls {

    private static final String CLASS_NAME = "Bf16Matmuls";
    /** torch.bfloat16 and torch.float32 as TorchScript's serialized source spells dtypes. */
    private static final String METHODS = """
              def linear(self: __torch__.Bf16Matmuls, x: Tensor, w: Tensor) -> Tensor:
                return torch.to(torch.linear(torch.to(x, 15), torch.to(w, 15)), 6)
              def linear_bias(self: __torch__.Bf16Matmuls, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                return torch.to(torch.linear(torch.to(x, 15), torch.to(w, 15), torch.to(b, 15)), 6)
              def matmul(self: __torch__.Bf16Matmuls, a: Tensor, b: Tensor) -> Tensor:
                return torch.to(torch.matmul(torch.to(a, 15), torch.to(b, 15)), 6)
              def to_bf16(self: __torch__.Bf16Matmuls, w: Tensor) -> Tensor:
                return torch.to(w, 15)
            """;

    /** x86 CPU flags of native bf16 matrix instructions; without them libtorch emulates bf16 products. */
    private static final Pattern BF16_CPU_FLAGS = Pattern.compile("\\b(avx512_bf16|amx_bf16)\\b");

    private final ScriptModule script;

    private Bf16Matmuls(ScriptModule script) {
        this.script = script;
    }

    /** Compiles the module; it lives in a sub-manager of {@code manager} until {@link #close}. */
    static Bf16Matmuls load(NDManager manager) {
        return new Bf16Matmuls(ScriptModule.load(CLASS_NAME, METHODS, manager));
    }

    /**
     * Whether this machine's CPU has bf16 matrix instructions (AVX512_BF16 or AMX), read from /proc/cpuinfo;
     * false where that cannot be read. Without them bf16 products on the CPU are far slower than fp32 ones
     * (measured: 60 times, on an AVX2 machine).
     */
    static boolean cpuHasBf16Units() {
        try {
            return BF16_CPU_FLAGS.matcher(Files.readString(Path.of("/proc/cpuinfo"))).find();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null ? script.call("linear", x, weight) : script.call("linear_bias", x, weight, bias);
    }

    @Override
    public NDArray matMul(NDArray a, NDArray b) {
        return script.call("matmul", a, b);
    }

    @Override
    public NDArray hold(NDArray fp32Weight) {
        NDArray bf16 = script.call("to_bf16", fp32Weight); // same manager as the fp32 weight
        fp32Weight.close();
        return bf16;
    }

    @Override
    public int heldBytesPerElement() {
        return 2;
    }

    @Override
    public String description() {
        return "bf16 matmuls, bf16 frozen weights";
    }

    @Override
    public void close() {
        script.close();
    }
}
