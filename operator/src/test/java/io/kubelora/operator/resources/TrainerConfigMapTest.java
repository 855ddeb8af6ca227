package io.kubelora.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.operator.Runs;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerConfigMapTest {

    @Test
    void holdsTheRunAsTheTrainerReadsIt() {
        LoraFineTune run = Runs.full("cm");
        run.getMetadata().setLabels(Map.of("team", "nlp"));
        run.getMetadata().setResourceVersion("42");
        ConfigMap cm = TrainerConfigMap.desired(run);
        assertEquals("cm-config", cm.getMetadata().getName());
        assertEquals("test", cm.getMetadata().getNamespace());
        assertEquals("LoraFineTune", cm.getMetadata().getOwnerReferences().get(0).getKind());
        String yaml = cm.getData().get(TrainerConfigMap.KEY);
        LoraFineTune read = LoraFineTuneYaml.parse(yaml, "finetune.yaml");
        assertEquals(run.getSpec(), read.getSpec());
        assertEquals("cm", read.getMetadata().getName());
        assertEquals("test", read.getMetadata().getNamespace());
        assertFalse(yaml.contains("resourceVersion"), yaml);
        assertFalse(yaml.contains("uid"), yaml);
        assertFalse(yaml.contains("team"), yaml);
        assertFalse(yaml.contains("status"), yaml);
        assertTrue(yaml.contains("rank: "), "defaults are written out: " + yaml);
    }
}
