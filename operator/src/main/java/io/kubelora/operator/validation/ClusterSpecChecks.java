package io.kubelora.operator.validation;

import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.SpecValidator;
import io.kubelora.api.Violation;
import io.kubelora.operator.OperatorSettings;
import io.kubelora.operator.resources.PvcMounts;
import io.kubelora.operator.resources.TrainingJob;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What makes a spec that is valid on a laptop unable to run in a cluster: local paths, Kubernetes names,
 * a GPU count without a GPU resource. Added to {@link SpecValidator}'s violations, which
 * cover every rule of the CRD schema.
 */
public final class ClusterSpecChecks {

    /** A Job's name becomes a pod label value, which is at most 63 characters. */
    static final int MAX_NAME_LENGTH = 63;
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    private final List<Violation> violations = new ArrayList<>();

    private ClusterSpecChecks() {
    }

    /** Every reason the run cannot start in a cluster: the schema's rules first, then the cluster's. */
    public static List<Violation> validate(LoraFineTune run, OperatorSettings settings) {
        List<Violation> all = new ArrayList<>(SpecValidator.validate(run.getSpec()));
        ClusterSpecChecks checks = new ClusterSpecChecks();
        checks.name(run.getMetadata().getName());
        if (run.getSpec() != null) {
            checks.check(run.getSpec(), settings);
        }
        all.addAll(checks.violations);
        return List.copyOf(all);
    }

    private void name(String name) {
        if (name != null && name.length() > MAX_NAME_LENGTH) {
            fail("metadata.name", "must be at most " + MAX_NAME_LENGTH + " characters to name the training Job (was "
                    + name.length() + ")");
        }
    }

    private void check(LoraFineTuneSpec spec, OperatorSettings settings) {
        if (spec.baseModel() != null) {
            location("spec.baseModel.uri", spec.baseModel().uri());
        }
        if (spec.dataset() != null) {
            location("spec.dataset.uri", spec.dataset().uri());
        }
        if (spec.output() != null) {
            location("spec.output.uri", spec.output().uri());
        }
        if (spec.merge().output() != null) {
            location("spec.merge.output.uri", spec.merge().output().uri());
        }
        if (spec.resources().gpus() > 0 && TrainingJob.gpuResourceName(spec, settings) == null) {
            fail("spec.resources.gpuResourceName", "is required when spec.resources.gpus is greater than 0: "
                    + "this operator has no default GPU resource");
        }
        if (spec.credentials() != null) {
            kubernetesName("spec.credentials.storageSecretName", spec.credentials().storageSecretName());
            SecretKeySelector token = spec.credentials().huggingFaceToken();
            if (token != null) {
                if (token.getName() == null || token.getName().isBlank()) {
                    fail("spec.credentials.huggingFaceToken.name", "is required");
                } else {
                    kubernetesName("spec.credentials.huggingFaceToken.name", token.getName());
                }
                if (token.getKey() == null || token.getKey().isBlank()) {
                    fail("spec.credentials.huggingFaceToken.key", "is required");
                }
            }
        }
        kubernetesName("spec.serviceAccountName", spec.serviceAccountName());
    }

    /** Only remote or PVC locations exist inside a pod. */
    private void location(String field, String uri) {
        if (uri == null || uri.isBlank()) {
            return; // reported by SpecValidator
        }
        if (uri.startsWith("file://") || !uri.contains("://")) {
            fail(field, "'" + uri + "' is a local path, which does not exist in the training pod; use s3://, "
                    + "hf:// or pvc://claim/path");
            return;
        }
        String claim = PvcMounts.claimOf(uri);
        if (claim != null && !claim.isEmpty() && !DNS_SUBDOMAIN.matcher(claim).matches()) {
            fail(field, "'" + claim + "' is not a valid PersistentVolumeClaim name (lower-case letters, digits, "
                    + "'-' and '.')");
        }
    }

    private void kubernetesName(String field, String name) {
        if (name != null && (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches())) {
            fail(field, "'" + name + "' is not a valid Kubernetes name (lower-case letters, digits, '-' and '.')");
        }
    }

    private void fail(String field, String message) {
        violations.add(new Violation(field, message));
    }
}
