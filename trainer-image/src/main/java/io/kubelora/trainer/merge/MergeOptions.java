package io.kubelora.trainer.merge;

import io.kubelora.trainer.safetensors.DType;
import java.util.Objects;
import java.util.Set;

/**
 * How to write a merged model.
 *
 * @param dtype         dtype of every floating-point tensor of the output: BF16, F16 or F32
 * @param maxShardBytes largest amount of tensor data per safetensors shard
 */
public record MergeOptions(DType dtype, long maxShardBytes) {

    /** save_pretrained's default shard limit, 5GB (decimal). */
    public static final String DEFAULT_MAX_SHARD_SIZE = "5GB";
    private static final Set<DType> OUTPUT_DTYPES = Set.of(DType.BF16, DType.F16, DType.F32);

    public MergeOptions {
        Objects.requireNonNull(dtype, "dtype");
        if (!OUTPUT_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("a merged model is written in BF16, F16 or F32, not " + dtype);
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size must be positive, was " + maxShardBytes);
        }
    }

    /** Options with the shard size in the notation of the LoraFineTune spec and the CLI, e.g. {@code "5GB"}. */
    public static MergeOptions of(DType dtype, String maxShardSize) {
        return new MergeOptions(dtype, ShardSize.parse("max shard size", maxShardSize));
    }
}
