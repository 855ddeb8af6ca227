/**
 * LoRA (Hu et al. 2021): the trainable low-rank update beside each frozen decoder linear, attached to a model by
 * module name ({@link io.kubelora.trainer.lora.LoraAdapters}), and the PEFT
 * adapter folder format (adapter_config.json + adapter_model.safetensors) that peft, vLLM and TGI load.
 */
package io.kubelora.trainer.lora;
