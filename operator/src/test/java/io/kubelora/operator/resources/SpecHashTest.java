package io.kubelora.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.operator.Runs;
import org.junit.jupiter.api.Test;

class SpecHashTest {

    private static LoraFineTuneSpec withSuspendAndImage(LoraFineTuneSpec s, boolean suspend, String image) {
        return s.toBuilder().image(image).suspend(suspend).build();
    }

    @Test
    void suspendDoesNotChangeTheHashButOtherFieldsDo() {
        LoraFineTuneSpec spec = Runs.full("h").getSpec();
        String hash = SpecHash.of(spec);
        assertTrue(hash.matches("[0-9a-f]{32}"), hash);
        assertEquals(hash, SpecHash.of(withSuspendAndImage(spec, true, spec.image())));
        assertNotEquals(hash, SpecHash.of(withSuspendAndImage(spec, false, "other:1")));
    }

    @Test
    void defaultsWrittenOrOmittedHashTheSame() {
        LoraFineTuneSpec minimal = Runs.minimal("h").getSpec();
        LoraFineTuneSpec explicit = new LoraFineTuneSpec(minimal.baseModel(), minimal.dataset(), minimal.lora(),
                minimal.quantization(), null, minimal.training(), minimal.output(), minimal.merge(),
                minimal.resources(), null, null, false, null, 0, null, null);
        assertEquals(SpecHash.of(minimal), SpecHash.of(explicit));
    }
}
