/**
 * TorchScript from Java: {@link io.kubelora.trainer.script.TorchScriptArchive} writes a module archive from
 * TorchScript source (no Python involved) and {@link io.kubelora.trainer.script.ScriptModule} loads it into
 * libtorch and calls its methods with autograd recording. This is how the trainer reaches torch ops and dtypes
 * DJL does not expose, such as bf16 products.
 */
package io.kubelora.trainer.script;
