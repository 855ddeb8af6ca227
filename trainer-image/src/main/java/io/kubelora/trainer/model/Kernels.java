package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.kubelora.trainer.script.ScriptModule;

/**
 * The decoder's compute, run by libtorch through a TorchScript module: matrix products, RMSNorm, rotary
 * attention with torch's fused scaled_dot_product_attention (causal, so a GPU runs flash attention and never
 * materialises [T, T] scores), SwiGLU, the embedding lookup and the head's cross-entropy. With bf16 compute the
 * products, attention and SwiGLU run in bf16 over frozen weights held in bf16 (half the memory, the tensor cores'
 * rate); inputs and results are fp32 either way, as in torch's autocast: the residual stream, norms, rotary, the
 * loss and the LoRA path with its fp32 master weights stay fp32. Only this module and the data-movement methods
 * below ever touch a 16-bit array (DJL's dtype code aborts on bf16, see DJL-NOTES); everything a script creates
 * internally is freed when the call returns, and autograd keeps only what backward needs (in bf16).
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

    /**
     * Compiles the module for fp32 or bf16 compute with RMSNorm epsilon {@code eps}; it lives in a sub-manager of
     * {@code manager}.
     */
    static Kernels load(boolean bf16, double eps, NDManager manager) {
        String name = bf16 ? "Bf16Kernels" : "Fp32Kernels";
        String methods = """
                  def linear(self: S, x: Tensor, w: Tensor) -> Tensor:
                    return self.result(torch.linear(self.compute(x), self.compute(w)))
                  def linear_bias(self: S, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                    return self.result(torch.linear(self.compute(x), self.compute(w), self.compute(b)))
                  def rms_norm(self: S, x: Tensor, w: Tensor) -> Tensor:
                    return torch.rms_norm(x, [x.size(-1)], w, EPS)
                  def rotate(self: S, x: Tensor, cos: Tensor, signed_sin: Tensor) -> Tensor:
                    half = torch.floordiv(x.size(-1), 2)
                    swapped = torch.cat([x[..., half:], x[..., :half]], -1)
                    return torch.add(torch.mul(x, cos), torch.mul(swapped, signed_sin))
                  def heads(self: S, x: Tensor, cos: Tensor, signed_sin: Tensor, rotate: bool) -> Tensor:
                    split = x.view(x.size(0), x.size(1), -1, cos.size(-1))
                    if rotate:
                      split = self.rotate(split, cos, signed_sin)
                    return self.compute(split.transpose(1, 2))
                  def merge_heads(self: S, y: Tensor) -> Tensor:
                    return self.result(y.transpose(1, 2).reshape(y.size(0), y.size(2), -1))
                  def attention(self: S, q: Tensor, k: Tensor, v: Tensor, cq: Tensor, sq: Tensor, ck: Tensor, sk: Tensor) -> Tensor:
                    y = torch.scaled_dot_product_attention(self.heads(q, cq, sq, True), self.heads(k, ck, sk, True), self.heads(v, ck, sk, False), None, 0., True, scale=1., enable_gqa=True)
                    return self.merge_heads(y)
                  def attention_masked(self: S, q: Tensor, k: Tensor, v: Tensor, cq: Tensor, sq: Tensor, ck: Tensor, sk: Tensor, mask: Tensor) -> Tensor:
                    y = torch.scaled_dot_product_attention(self.heads(q, cq, sq, True), self.heads(k, ck, sk, True), self.heads(v, ck, sk, False), self.compute(mask), 0., False, scale=1., enable_gqa=True)
                    return self.merge_heads(y)
                  def swiglu(self: S, g: Tensor, u: Tensor) -> Tensor:
                    return self.result(torch.mul(torch.silu(self.compute(g)), self.compute(u)))
                  def embed(self: S, ids: Tensor, table: Tensor, anchor: Tensor) -> Tensor:
                    return self.result(torch.embedding(table, ids).to(anchor.device))
                  def logits(self: S, x: Tensor, norm: Tensor, w: Tensor) -> Tensor:
                    return self.linear(self.rms_norm(x, norm), w)
                  def head_loss(self: S, x: Tensor, norm: Tensor, w: Tensor, ids: Tensor) -> Tensor:
                    return torch.cross_entropy_loss(self.logits(x, norm, w), ids, None, 2, -100, 0.)
                  def row_dropout(self: S, x: Tensor, rows: Tensor, keep: Tensor) -> Tensor:
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
                  def head_evaluation(self: S, x: Tensor, norm: Tensor, w: Tensor, ids: Tensor) -> Tensor:
                    logits = self.logits(x, norm, w)
                    loss = torch.cross_entropy_loss(logits, ids, None, 2, -100, 0.)
                    correct = torch.sum(torch.eq(torch.argmax(logits, -1), ids))
                    return torch.stack([loss, self.result(correct)])
                  def hold(self: S, w: Tensor) -> Tensor:
                    return self.compute(w)
                  def allocate(self: S, shape: Tensor, anchor: Tensor) -> Tensor:
                    return torch.empty([int(shape[0]), int(shape[1])], dtype=HELD, device=anchor.device)
                  def write_rows(self: S, dst: Tensor, src: Tensor, start: Tensor) -> Tensor:
                    dst.narrow(0, int(start), src.size(0)).copy_(src)
                    return dst
                  def stash(self: S, x: Tensor) -> Tensor:
                    return torch.to(x, HELD, False, True)
                  def stash_on_host(self: S, x: Tensor) -> Tensor:
                    if x.is_cuda:
                      host = torch.empty(x.size(), dtype=HELD, device=torch.device("cpu"), pin_memory=True)
                      return host.copy_(torch.to(x, HELD), True)
                    return torch.to(x, HELD, False, True)
                  def round(self: S, x: Tensor) -> Tensor:
                    return self.result(self.compute(x))
                  def unstash(self: S, kept: Tensor, anchor: Tensor) -> Tensor:
                    return self.result(kept.to(anchor.device, non_blocking=True))
                  def compute(self: S, x: Tensor) -> Tensor:
                    return torch.to(x, HELD)
                  def result(self: S, x: Tensor) -> Tensor:
                    return torch.to(x, FP32)
                """.replace("S,", "__torch__." + name + ",").replace("EPS", Double.toString(eps))
                .replace("HELD", Integer.toString(bf16 ? BF16 : FP32)).replace("FP32", Integer.toString(FP32));
        return new Kernels(ScriptModule.load(name, methods, manager), bf16);
    }

    /** x [..., in] W^T (+ bias [out]) -> [..., out]; weight [out, in] as {@link #hold} returned it, or fp32. */
    NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null ? script.call("linear", x, weight) : script.call("linear_bias", x, weight, bias);
    }

    /** RMSNorm (Zhang and Sennrich 2019) over the last axis: x / sqrt(mean(x^2) + eps) * weight, in fp32. */
    NDArray rmsNorm(NDArray x, NDArray weight) {
        return script.call("rms_norm", x, weight);
    }

    /**
     * Causal grouped-query attention with rotary embeddings: q [B, T, H*hd], k and v [B, T, KV*hd] (H a multiple
     * of KV; query head j*G+g reads key/value head j) -> [B, T, H*hd]. The step's rotary tables rotate q (their
     * query tables include the 1/sqrt(hd) scale) and k; with sliding-window attention the step's mask adds -inf
     * outside the window.
     */
    NDArray attention(NDArray q, NDArray k, NDArray v, StepContext s) {
        if (s.slidingMask == null) {
            return script.call("attention", q, k, v, s.queryCos, s.querySin, s.keyCos, s.keySin);
        }
        return script.call("attention_masked", q, k, v, s.queryCos, s.querySin, s.keyCos, s.keySin, s.slidingMask);
    }

    /** silu(g) * u for g, u [..., I], in the compute precision (saved for backward in it too) -> fp32. */
    NDArray swiglu(NDArray gate, NDArray up) {
        return script.call("swiglu", gate, up);
    }

    /** Rows {@code ids} [N] of {@code table} [V, D], wherever it lives, as fp32 [N, D] on {@code anchor}'s device. */
    NDArray embed(NDArray ids, NDArray table, NDArray anchor) {
        return script.call("embed", ids, table, anchor);
    }

    /** Logits [N, V] of last hidden states x [N, D]: RMSNorm, then the head weight [V, D]. */
    NDArray logits(NDArray x, NDArray norm, NDArray weight) {
        return script.call("logits", x, norm, weight);
    }

    /** Sum over rows of the cross-entropy of the logits of x [N, D] against {@code ids} [N] (int64): a scalar. */
    NDArray headLoss(NDArray x, NDArray norm, NDArray weight, NDArray ids) {
        return script.call("head_loss", x, norm, weight, ids);
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

    /**
     * {@link #headLoss} and, from the same logits, how many rows' argmax is their id: [loss sum, correct count] as
     * fp32 [2], for evaluation (no gradient).
     */
    NDArray headEvaluation(NDArray x, NDArray norm, NDArray weight, NDArray ids) {
        return script.call("head_evaluation", x, norm, weight, ids);
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

    /** An uninitialised [rows, cols] array in the held precision, on {@code anchor}'s device and manager. */
    NDArray allocate(long rows, long cols, NDArray anchor) {
        try (NDArray shape = anchor.getManager().create(new long[] {rows, cols})) {
            return script.call("allocate", shape, anchor);
        }
    }

    /** Copies fp32 rows {@code block} [n, cols] into rows [start, start + n) of {@code held}, casting them. */
    void writeRows(NDArray held, NDArray block, long start) {
        try (NDArray first = block.getManager().create(start)) {
            script.call("write_rows", held, block, first).close(); // the result is another handle on held
        }
    }

    /**
     * A copy of x in the held precision to keep until backward: on its device, or in (pinned, on a GPU) host memory
     * with {@code onHost}; the copy to the host is asynchronous on a GPU.
     */
    NDArray stash(NDArray x, boolean onHost) {
        return script.call(onHost ? "stash_on_host" : "stash", x);
    }

    /** x rounded to the held precision, as fp32: what {@link #stash} then {@link #unstash} give back. */
    NDArray round(NDArray x) {
        return script.call("round", x);
    }

    /** A stashed array back as fp32 on {@code anchor}'s device. */
    NDArray unstash(NDArray kept, NDArray anchor) {
        return script.call("unstash", kept, anchor);
    }

    /** Bytes per element of the arrays {@link #hold} and {@link #stash} return. */
    int heldBytesPerElement() {
        return bf16 ? 2 : 4;
    }

    boolean bf16() {
        return bf16;
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
