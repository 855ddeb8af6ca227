/**
 * Merging a LoRA adapter into its base model: {@link io.kubelora.trainer.merge.ModelMerger} streams a Hugging
 * Face model folder tensor by tensor into a new one with W' = W + scaling · B·A on every adapted linear;
 * {@link io.kubelora.trainer.merge.MergedModelPublisher} stages that folder locally and delivers it atomically to
 * a local path, pvc://, s3:// or the Hugging Face Hub. Inputs are validated from the safetensors headers before
 * anything is written ({@link io.kubelora.trainer.merge.MergeInputException} lists every mismatch).
 */
package io.kubelora.trainer.merge;
