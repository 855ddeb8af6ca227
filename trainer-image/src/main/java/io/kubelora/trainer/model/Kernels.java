package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.script.ScriptModule;

/**
 * The decoder's matrix products and attention, run by libtorch through a TorchScript module: torch's fused
 * scaled_dot_product_attention (which DJL does not expose) instead of materialising the [T, T] attention
 * probabilities, and, for bf16 compute, products in bf16 over frozen dense weights held in bf16 (half the weight
 * memory and the tensor cores' rate on a GPU). Inputs and results are fp32 either way, as in torch's autocast:
 * norms, rotary, loss and the LoRA path with its fp32 master weights stay fp32, and no 16-bit array ever
 * reaches DJL's dtype code (which aborts on bf16, see DJL-NOTES). The casts inside the module stay on the
 * autograd graph, so gradients reach the fp32 activations and LoRA weights.
 */
final class Kernels implements AutoCloseable {

    /** torch.bfloat16 and torch.float32 as TorchScript's serialized source spells dtypes. */
    private static final int BF16 = 15;
    private static final int FP32 = 6;

    private final ScriptModule script;
    private final boolean bf16;

    private Kernels(ScriptModule script, boolean bf16) {
        this.script = script;
        this.bf16 = bf16;
    }

    /** Compiles the module for fp32 or bf16 products; it lives in a sub-manager of {@code manager}. */
    static Kernels load(boolean bf16, NDManager manager) {
        String name = bf16 ? "Bf16Kernels" : "Fp32Kernels";
        String self = "self: __torch__." + name;
        String methods = """
                  def linear(%1$s, x: Tensor, w: Tensor) -> Tensor:
                    return %2$s(torch.linear(%3$s(x), %3$s(w)))
                  def linear_bias(%1$s, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                    return %2$s(torch.linear(%3$s(x), %3$s(w), %3$s(b)))
                  def attention(%1$s, q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
                    y = torch.scaled_dot_product_attention(%3$s(q), %3$s(k), %3$s(v), %3$s(mask), 0., False, scale=1., enable_gqa=True)
                    return %2$s(y)
                  def hold(%1$s, w: Tensor) -> Tensor:
                    return %3$s(w)
                  def compute(%1$s, x: Tensor) -> Tensor:
                    return torch.to(x, %4$d)
                  def result(%1$s, x: Tensor) -> Tensor:
                    return torch.to(x, %5$d)
                  def row_dropout(%1$s, x: Tensor, rows: Tensor, keep: Tensor) -> Tensor:
                    d = x.size(-1)
                    n = x.numel() // d
                    q = float(keep)
                    mask = torch.zeros([n, d], dtype=11, layout=None, device=x.device, pin_memory=None)
                    g = torch.Generator(device=x.device)
                    for b in range(rows.size(0)):
                      start = int(rows[b, 1])
                      length = int(rows[b, 2])
                      lo = max(start, 0)
                      hi = min(start + length, n)
                      if lo < hi:
                        g.manual_seed(int(rows[b, 0]))
                        drawn = torch.rand([length, d], generator=g, dtype=None, layout=None, device=x.device, pin_memory=None)
                        mask[lo:hi] = torch.lt(drawn[lo - start:hi - start], q)
                    return torch.mul(torch.where(mask.view(x.size()), x, 0.), 1. / q)
                """.formatted(self, "self.result", "self.compute", bf16 ? BF16 : FP32, FP32);
        return new Kernels(ScriptModule.load(name, methods, manager), bf16);
    }

    /** x [..., in] W^T (+ bias [out]) -> [..., out]; weight [out, in] as {@link #hold} returned it, or fp32. */
    NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null ? script.call("linear", x, weight) : script.call("linear_bias", x, weight, bias);
    }

    /**
     * Causal grouped-query attention: q [B, H, T, hd] already scaled by 1/sqrt(hd), k and v [B, KV, T, hd]
     * with H a multiple of KV (query head j*G+g reads key/value head j), mask [T, T] added to the scores
     * (0 or -inf) -> [B, H, T, hd].
     */
    NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return script.call("attention", q, k, v, mask);
    }

    /**
     * Dropout of x [..., in] read as token rows [N, in], keeping each element with probability {@code keep} [1]
     * (host) and scaling kept ones by 1 / keep. {@code rows} [B, 3] (host, int64) lists the batch rows: a generator
     * seed, the row's first token row relative to x's first (negative when the row began before it) and its length.
     * Each row's mask is drawn in full, [length, in], from its own generator, and the part x covers is used, so the
     * mask of a token does not depend on how the rows were batched, padded or chunked. Padding stays zero. Autograd
     * keeps only the boolean mask.
     */
    NDArray rowDropout(NDArray x, NDArray rows, NDArray keep) {
        return script.call("row_dropout", x, rows, keep);
    }

    /** The array to keep for a frozen fp32 weight: the same array, or a bf16 copy (closing the fp32 one). */
    NDArray hold(NDArray fp32Weight) {
        if (!bf16) {
            return fp32Weight;
        }
        NDArray held = script.call("hold", fp32Weight); // same manager as the fp32 weight
        fp32Weight.close();
        return held;
    }

    /** Bytes per element of the arrays {@link #hold} returns. */
    int heldBytesPerElement() {
        return bf16 ? 2 : 4;
    }

    /** For the log. */
    String description() {
        return bf16 ? "bf16 products and attention, bf16 frozen weights" : "fp32 products and attention";
    }

    @Override
    public void close() {
        script.close();
    }
}
