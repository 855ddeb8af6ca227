package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Toleration;
import io.kubelora.api.BaseModelSpec;
import io.kubelora.api.CredentialsSpec;
import io.kubelora.api.DatasetSpec;
import io.kubelora.api.EnvVarSpec;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.MergeSpec;
import io.kubelora.api.OutputSpec;
import io.kubelora.api.ResourcesSpec;
import java.util.List;
import java.util.Map;

/** LoraFineTunes for tests. */
public final class Runs {

    public static final String NAMESPACE = "test";

    private Runs() {
    }

    /** A minimal valid run on S3 and the Hub. */
    public static LoraFineTune minimal(String name) {
        return of(name, LoraFineTuneSpec.of("hf://meta-llama/Llama-3.2-1B", "s3://data/alpaca.jsonl",
                "s3://results/" + name));
    }

    /** A run using every field the Job is built from. */
    public static LoraFineTune full(String name) {
        ResourcesSpec resources = new ResourcesSpec(2, null, new Quantity("32Gi"), new Quantity("4"),
                Map.of("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"),
                List.of(new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null)), null, "training",
                new Quantity("80Gi"), "model-cache");
        LoraFineTuneSpec spec = new LoraFineTuneSpec.Builder()
                .baseModel(new BaseModelSpec("pvc://models/llama-3.2-1b"))
                .dataset(DatasetSpec.of("s3://data/alpaca.jsonl"))
                .output(new OutputSpec("pvc://results/" + name))
                .merge(new MergeSpec(true, new OutputSpec("s3://merged/" + name), null, null))
                .resources(resources)
                .image("registry.example/kubelora/trainer:custom")
                .serviceAccountName("trainer")
                .credentials(new CredentialsSpec("s3-credentials", new SecretKeySelector("token", "hf-token", null)))
                .backoffLimit(2).activeDeadlineSeconds(7200L).ttlSecondsAfterFinished(3600)
                .env(List.of(new EnvVarSpec("HTTPS_PROXY", "http://proxy.example:3128"),
                        new EnvVarSpec("HF_ENDPOINT", "https://hf-mirror.example")))
                .build();
        return of(name, spec);
    }

    public static LoraFineTune of(String name, LoraFineTuneSpec spec) {
        LoraFineTune run = new LoraFineTune();
        run.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE)
                .withUid("uid-" + name).withGeneration(1L).build());
        run.setSpec(spec);
        return run;
    }
}
