package io.kubelora.trainer.merge;

import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the output tensors into safetensors shards of at most {@code maxShardBytes} of tensor data, the way
 * Hugging Face's save_pretrained does: tensors are taken in order and a shard is closed when the next tensor
 * would tip it over the limit; a tensor larger than the limit gets a shard of its own. One shard is written as
 * {@code model.safetensors}; several as {@code model-00001-of-0000N.safetensors} plus an index.
 */
final class ShardLayout {

    /** One tensor as it will be written. */
    record OutputTensor(String name, DType dtype, long[] shape) {
        OutputTensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long byteLength() {
            return Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        }
    }

    /** One output file and the tensors it holds, in data order. */
    record Shard(String fileName, List<OutputTensor> tensors, long byteLength) {
        Shard {
            tensors = List.copyOf(tensors);
        }
    }

    private ShardLayout() {
    }

    static List<Shard> plan(List<OutputTensor> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size must be positive, was " + maxShardBytes);
        }
        List<List<OutputTensor>> groups = new ArrayList<>();
        List<OutputTensor> current = new ArrayList<>();
        long currentBytes = 0;
        for (OutputTensor t : tensors) {
            long bytes = t.byteLength();
            if (bytes > maxShardBytes) {
                groups.add(List.of(t));
                continue;
            }
            if (currentBytes + bytes > maxShardBytes && !current.isEmpty()) {
                groups.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += bytes;
        }
        if (!current.isEmpty() || groups.isEmpty()) {
            groups.add(current);
        }
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.size() == 1 ? ShardedWeights.SINGLE_FILE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, groups.size());
            shards.add(new Shard(name, groups.get(i),
                    groups.get(i).stream().mapToLong(OutputTensor::byteLength).sum()));
        }
        return shards;
    }
}
