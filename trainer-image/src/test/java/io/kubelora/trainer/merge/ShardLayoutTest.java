package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubelora.trainer.merge.ShardLayout.OutputTensor;
import io.kubelora.trainer.merge.ShardLayout.Shard;
import io.kubelora.trainer.safetensors.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardLayoutTest {

    @Test
    void closesAShardBeforeATensorWouldTipItOverTheLimit() {
        List<Shard> shards = ShardLayout.plan(List.of(t("a", 40), t("b", 40), t("c", 30), t("d", 100), t("e", 1)),
                100);
        // d fills its shard exactly to the limit; e would tip it over.
        assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("d"), List.of("e")), names(shards));
        assertEquals(List.of(80L, 30L, 100L, 1L), shards.stream().map(Shard::byteLength).toList());
    }

    @Test
    void aTensorOverTheLimitGetsAShardOfItsOwnAsHuggingFaceDoes() {
        List<Shard> shards = ShardLayout.plan(List.of(t("a", 10), t("huge", 500), t("b", 10), t("c", 90)), 100);
        // As in huggingface_hub: the oversized tensor is emitted at once, the open shard keeps filling.
        assertEquals(List.of(List.of("huge"), List.of("a", "b"), List.of("c")), names(shards));
        assertEquals("model-00001-of-00003.safetensors", shards.get(0).fileName());
        assertEquals("model-00003-of-00003.safetensors", shards.get(2).fileName());
    }

    @Test
    void aSingleShardIsModelSafetensors() {
        List<Shard> shards = ShardLayout.plan(List.of(t("a", 10), t("b", 10)), 5_000_000_000L);
        assertEquals(1, shards.size());
        assertEquals("model.safetensors", shards.get(0).fileName());
        assertEquals(20, shards.get(0).byteLength());
    }

    /** A byte vector of {@code bytes} elements. */
    private static OutputTensor t(String name, long bytes) {
        return new OutputTensor(name, DType.U8, new long[] {bytes});
    }

    private static List<List<String>> names(List<Shard> shards) {
        return shards.stream().map(s -> s.tensors().stream().map(OutputTensor::name).toList()).toList();
    }
}
