package io.kubelora.operator.e2e;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapKeySelector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the kubelet prepares before it starts a container, done on the local disk: each mounted volume
 * becomes a folder (ConfigMap and Secret keys as files, emptyDirs empty), and the container's environment
 * is resolved from its env and envFrom against the API server. Since the container shares the host's file
 * system, every container path under a mount ({@code /etc/kubelora/finetune.yaml}, {@code /cache}) is
 * translated to the folder that stands for it.
 */
final class PodSandbox {

    /** The container cannot be created, as the kubelet's CreateContainerConfigError. */
    static final class ConfigError extends Exception {
        ConfigError(String message) {
            super(message);
        }
    }

    private final Path root;
    /** Container mount path to local folder, longest path first so nested mounts win. */
    private final Map<String, Path> mounts = new TreeMap<>(Comparator.comparingInt(String::length).reversed()
            .thenComparing(Comparator.naturalOrder()));

    private PodSandbox(Path root) {
        this.root = root;
    }

    /** Materialises the volumes the container mounts under {@code root}. */
    static PodSandbox prepare(KubernetesClient client, Pod pod, Container container, Path root)
            throws IOException, ConfigError {
        PodSandbox sandbox = new PodSandbox(Files.createDirectories(root));
        String namespace = pod.getMetadata().getNamespace();
        List<Volume> volumes = pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
        List<VolumeMount> wanted = container.getVolumeMounts() == null ? List.of() : container.getVolumeMounts();
        for (VolumeMount mount : wanted) {
            Volume volume = volumes.stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElseThrow(() -> new ConfigError("volume mount " + mount.getName() + ": no such volume"));
            Path folder = Files.createDirectories(root.resolve("volumes").resolve(volume.getName()));
            if (volume.getConfigMap() != null) {
                ConfigMap map = client.configMaps().inNamespace(namespace).withName(volume.getConfigMap().getName())
                        .get();
                if (map == null) {
                    throw new ConfigError("configmap \"" + volume.getConfigMap().getName() + "\" not found");
                }
                writeFiles(folder, map.getData(), false);
            } else if (volume.getSecret() != null) {
                Secret secret = secret(client, namespace, volume.getSecret().getSecretName());
                writeFiles(folder, secret.getData(), true);
            } else if (volume.getEmptyDir() == null) {
                throw new ConfigError("volume " + volume.getName() + ": only configMap, secret and emptyDir volumes "
                        + "can be run locally");
            }
            sandbox.mounts.put(stripSlash(mount.getMountPath()), folder);
        }
        return sandbox;
    }

    /** The container's environment: envFrom first, then env (which wins), paths translated. */
    Map<String, String> environment(KubernetesClient client, String namespace, Container container)
            throws ConfigError {
        Map<String, String> env = new LinkedHashMap<>();
        if (container.getEnvFrom() != null) {
            for (EnvFromSource source : container.getEnvFrom()) {
                envFrom(client, namespace, source, env);
            }
        }
        if (container.getEnv() != null) {
            for (EnvVar variable : container.getEnv()) {
                String value = value(client, namespace, variable);
                if (value != null) {
                    env.put(variable.getName(), translate(value));
                }
            }
        }
        return env;
    }

    /** A container path as the local path standing for it; anything else unchanged. */
    String translate(String value) {
        for (Map.Entry<String, Path> mount : mounts.entrySet()) {
            String path = mount.getKey();
            if (value.equals(path)) {
                return mount.getValue().toString();
            }
            if (value.startsWith(path + "/")) {
                return mount.getValue().resolve(value.substring(path.length() + 1)).toString();
            }
        }
        return value;
    }

    Path root() {
        return root;
    }

    private void envFrom(KubernetesClient client, String namespace, EnvFromSource source, Map<String, String> env)
            throws ConfigError {
        String prefix = source.getPrefix() == null ? "" : source.getPrefix();
        if (source.getSecretRef() != null) {
            String name = source.getSecretRef().getName();
            Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
            if (secret == null && !Boolean.TRUE.equals(source.getSecretRef().getOptional())) {
                throw new ConfigError("secret \"" + name + "\" not found");
            }
            if (secret != null && secret.getData() != null) {
                secret.getData().forEach((k, v) -> env.put(prefix + k, decode(v)));
            }
        } else if (source.getConfigMapRef() != null) {
            String name = source.getConfigMapRef().getName();
            ConfigMap map = client.configMaps().inNamespace(namespace).withName(name).get();
            if (map == null && !Boolean.TRUE.equals(source.getConfigMapRef().getOptional())) {
                throw new ConfigError("configmap \"" + name + "\" not found");
            }
            if (map != null && map.getData() != null) {
                map.getData().forEach((k, v) -> env.put(prefix + k, v));
            }
        }
    }

    private static String value(KubernetesClient client, String namespace, EnvVar variable) throws ConfigError {
        if (variable.getValueFrom() == null) {
            return variable.getValue() == null ? "" : variable.getValue();
        }
        SecretKeySelector secretKey = variable.getValueFrom().getSecretKeyRef();
        if (secretKey != null) {
            Secret secret = client.secrets().inNamespace(namespace).withName(secretKey.getName()).get();
            String encoded = secret == null || secret.getData() == null ? null
                    : secret.getData().get(secretKey.getKey());
            if (encoded == null && !Boolean.TRUE.equals(secretKey.getOptional())) {
                throw new ConfigError("couldn't find key " + secretKey.getKey() + " in Secret " + namespace + "/"
                        + secretKey.getName());
            }
            return encoded == null ? null : decode(encoded);
        }
        ConfigMapKeySelector mapKey = variable.getValueFrom().getConfigMapKeyRef();
        if (mapKey != null) {
            ConfigMap map = client.configMaps().inNamespace(namespace).withName(mapKey.getName()).get();
            String value = map == null || map.getData() == null ? null : map.getData().get(mapKey.getKey());
            if (value == null && !Boolean.TRUE.equals(mapKey.getOptional())) {
                throw new ConfigError("couldn't find key " + mapKey.getKey() + " in ConfigMap " + namespace + "/"
                        + mapKey.getName());
            }
            return value;
        }
        throw new ConfigError("env " + variable.getName() + ": only secretKeyRef and configMapKeyRef can be run "
                + "locally");
    }

    private static Secret secret(KubernetesClient client, String namespace, String name) throws ConfigError {
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            throw new ConfigError("secret \"" + name + "\" not found");
        }
        return secret;
    }

    private static void writeFiles(Path folder, Map<String, String> data, boolean base64) throws IOException {
        if (data == null) {
            return;
        }
        for (Map.Entry<String, String> entry : data.entrySet()) {
            String text = base64 ? decode(entry.getValue()) : entry.getValue();
            Files.writeString(folder.resolve(entry.getKey()), text, StandardCharsets.UTF_8);
        }
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static String stripSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
