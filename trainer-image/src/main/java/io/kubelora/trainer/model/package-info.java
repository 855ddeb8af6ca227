/**
 * The Llama-family decoder (Llama, Mistral, Qwen2) on DJL's PyTorch engine: config.json as a record,
 * Hugging Face tensor and module names in one place ({@link io.kubelora.trainer.model.WeightNames}), frozen base
 * weights (dense or NF4 behind {@link io.kubelora.trainer.model.FrozenWeight}), one forward to the last hidden
 * state ({@link io.kubelora.trainer.model.Decoder}), the chunked head and loss
 * ({@link io.kubelora.trainer.model.LmHead}), backward with optional activation checkpointing
 * ({@link io.kubelora.trainer.model.Backward}), the public model ({@link io.kubelora.trainer.model.CausalLm}) with
 * slots for trainable adapters ({@link io.kubelora.trainer.model.LinearAdapter}), and random model folders for
 * tests and benchmarks ({@link io.kubelora.trainer.model.ModelInitializer}). It knows nothing of LoRA's file
 * format or of the LoraFineTune resource: callers translate those into {@link io.kubelora.trainer.model.ModelOptions}.
 */
package io.kubelora.trainer.model;
