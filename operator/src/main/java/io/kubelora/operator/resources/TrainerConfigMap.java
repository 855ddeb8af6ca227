package io.kubelora.operator.resources;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;

/**
 * The ConfigMap {@code <name>-config} holding the run as the trainer reads it: the same document a user
 * would pass to {@code kubelora train -f}, with only name and namespace of the metadata and every default
 * of the spec filled in, so the trainer and the operator agree on the values.
 */
public final class TrainerConfigMap {

    public static final String KEY = "finetune.yaml";
    public static final String MOUNT_PATH = "/etc/kubelora";

    private TrainerConfigMap() {
    }

    public static ConfigMap desired(LoraFineTune run) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(RunLabels.configMapName(run))
                .withNamespace(run.getMetadata().getNamespace())
                .withLabels(RunLabels.of(run))
                .withOwnerReferences(RunLabels.ownerReference(run))
                .endMetadata()
                .addToData(KEY, document(run))
                .build();
    }

    /** The finetune.yaml text. */
    public static String document(LoraFineTune run) {
        LoraFineTune doc = new LoraFineTune();
        doc.setMetadata(new ObjectMetaBuilder()
                .withName(run.getMetadata().getName())
                .withNamespace(run.getMetadata().getNamespace())
                .build());
        doc.setSpec(run.getSpec());
        return LoraFineTuneYaml.write(doc);
    }
}
