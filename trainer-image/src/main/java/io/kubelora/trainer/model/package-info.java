/**
 * The Llama-family decoder (Llama, Mistral, Qwen2) on DJL's PyTorch engine: config.json as a record,
 * Hugging Face tensor names in one place ({@link io.kubelora.trainer.model.WeightNames}), frozen base weights
 * (dense or NF4 behind {@link io.kubelora.trainer.model.FrozenWeight}), forward and backward with optional
 * activation checkpointing ({@link io.kubelora.trainer.model.CausalLm}), and random model folders for tests
 * and benchmarks ({@link io.kubelora.trainer.model.ModelInitializer}).
 */
package io.kubelora.trainer.model;
