package io.kubelora.trainer.merge;

import java.nio.file.Path;

/**
 * What a merge wrote.
 *
 * @param modelDir       the merged model folder
 * @param mergedLinears  linears that received their LoRA update
 * @param tensors        tensors written (all of the base model's)
 * @param shards         safetensors files written
 * @param tensorBytes    bytes of tensor data written (the index's {@code total_size})
 */
public record MergeResult(Path modelDir, int mergedLinears, int tensors, int shards, long tensorBytes) {
}
