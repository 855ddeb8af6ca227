package io.kubelora.trainer.merge;

import io.kubelora.api.MergeDtype;
import io.kubelora.trainer.safetensors.DType;
import java.util.Objects;

/**
 * How to write a merged model.
 *
 * @param dtype         dtype of every floating-point tensor of the output
 * @param maxShardBytes largest amount of tensor data per safetensors shard
 */
public record MergeOptions(MergeDtype dtype, long maxShardBytes) {

    /** save_pretrained's default shard limit, 5GB (decimal). */
    public static final String DEFAULT_MAX_SHARD_SIZE = "5GB";

    public MergeOptions {
        Objects.requireNonNull(dtype, "dtype");
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size must be positive, was " + maxShardBytes);
        }
    }

    /** Options from the notation of the LoraFineTune spec and the CLI, e.g. {@code (BF16, "5GB")}. */
    public static MergeOptions of(MergeDtype dtype, String maxShardSize) {
        return new MergeOptions(dtype, ShardSize.parse("max shard size", maxShardSize));
    }

    /** The safetensors dtype floating-point tensors are written in. */
    public DType tensorDtype() {
        return switch (dtype) {
            case BF16 -> DType.BF16;
            case FP16 -> DType.F16;
            case FP32 -> DType.F32;
        };
    }
}
