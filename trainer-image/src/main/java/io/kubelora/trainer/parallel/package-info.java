/**
 * Data parallelism inside one process: one replica of the model per device, each computing on its own thread
 * ({@link io.kubelora.trainer.parallel.Replicas}), a global micro-batch shared among them in a fixed way
 * ({@link io.kubelora.trainer.parallel.RowShares}), and the LoRA gradients summed into the first replica before one
 * optimizer step whose result is copied back to the others. DJL has no collective communication (no NCCL): the
 * LoRA gradients and weights are small enough (168 MB in fp32 for Llama-3.1-8B at rank 16 on all linears) to move
 * with plain device-to-device copies once per optimizer step.
 */
package io.kubelora.trainer.parallel;
