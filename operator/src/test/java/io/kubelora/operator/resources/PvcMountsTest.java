package io.kubelora.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.kubelora.api.BaseModelSpec;
import io.kubelora.api.DatasetSpec;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.MergeSpec;
import io.kubelora.api.OutputSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class PvcMountsTest {

    @Test
    void oneMountPerClaimWritableWhenAnyOutputUsesIt() {
        LoraFineTuneSpec spec = new LoraFineTuneSpec.Builder().baseModel(new BaseModelSpec("pvc://shared/models/llama"))
                .dataset(DatasetSpec.of("pvc://data/train.jsonl")).output(new OutputSpec("pvc://shared/runs/a"))
                .merge(new MergeSpec(true, new OutputSpec("s3://b/merged"), null, null)).build();
        assertEquals(List.of(
                        new PvcMounts.Claim("shared", "pvc-0", "/mnt/pvc/shared", false),
                        new PvcMounts.Claim("data", "pvc-1", "/mnt/pvc/data", true)),
                PvcMounts.of(spec));
    }

    @Test
    void noClaimsWithoutPvcUris() {
        assertEquals(List.of(), PvcMounts.of(LoraFineTuneSpec.of("hf://org/m", "s3://b/d.jsonl", "s3://b/out")));
    }

    @Test
    void claimOfReadsTheAuthority() {
        assertEquals("models", PvcMounts.claimOf("pvc://models"));
        assertEquals("models", PvcMounts.claimOf("pvc://models/a/b"));
        assertNull(PvcMounts.claimOf("s3://models/a"));
    }
}
