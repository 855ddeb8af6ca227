package io.kubelora.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Installs the CRDs the api module generated (inside the kubelora-api jar: LoraFineTune, FineTuneProfile,
 * FineTunePolicy) into the mock API server before the operator starts, as the chart does in a cluster.
 */
public class LoraFineTuneCrd implements Consumer<KubernetesServer> {

    static final List<String> RESOURCES = List.of("META-INF/fabric8/lorafinetunes.kubelora.io-v1.yml",
            "META-INF/fabric8/finetuneprofiles.kubelora.io-v1.yml",
            "META-INF/fabric8/finetunepolicies.kubelora.io-v1.yml");

    @Override
    public void accept(KubernetesServer server) {
        install(server.getClient());
    }

    /** Creates the CRDs through this client. */
    public static void install(KubernetesClient client) {
        for (String resource : RESOURCES) {
            try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " is not on the classpath: build the api module first");
                }
                CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
                client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
