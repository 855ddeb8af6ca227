/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data): a
 * validating memory-mapped reader, a streaming writer, the sharded view of a Hugging Face model folder,
 * and the fp32/bf16/f16 conversions. No 16-bit array is ever handed to DJL: data is converted to fp32 here.
 */
package io.kubelora.trainer.safetensors;
