package io.kubelora.operator.resources;

import io.kubelora.api.LoraFineTuneSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PersistentVolumeClaims a spec reads or writes through {@code pvc://claim/path} URIs. The trainer
 * resolves {@code pvc://claim/path} to {@code /mnt/pvc/claim/path}, so each claim is mounted once at
 * {@code /mnt/pvc/<claim>}, writable when any output goes to it.
 */
public final class PvcMounts {

    public static final String ROOT = "/mnt/pvc";
    private static final String SCHEME = "pvc://";

    /** One claim to mount. */
    public record Claim(String claimName, String volumeName, String mountPath, boolean readOnly) {
    }

    private PvcMounts() {
    }

    /** Claims in the order they appear in the spec: base model, dataset, output, merged output. */
    public static List<Claim> of(LoraFineTuneSpec spec) {
        Map<String, Boolean> writable = new LinkedHashMap<>();
        add(writable, spec.baseModel() == null ? null : spec.baseModel().uri(), false);
        add(writable, spec.dataset() == null ? null : spec.dataset().uri(), false);
        add(writable, spec.output() == null ? null : spec.output().uri(), true);
        if (spec.merge().output() != null) {
            add(writable, spec.merge().output().uri(), true);
        }
        List<Claim> claims = new ArrayList<>();
        int index = 0;
        for (Map.Entry<String, Boolean> e : writable.entrySet()) {
            // Claim names may be 253 characters long; volume names must be short DNS labels.
            claims.add(new Claim(e.getKey(), "pvc-" + index++, ROOT + "/" + e.getKey(), !e.getValue()));
        }
        return claims;
    }

    /** The claim of a pvc:// URI, or null for any other URI. */
    public static String claimOf(String uri) {
        if (uri == null || !uri.startsWith(SCHEME)) {
            return null;
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    private static void add(Map<String, Boolean> writable, String uri, boolean write) {
        String claim = claimOf(uri);
        if (claim != null && !claim.isEmpty()) {
            writable.merge(claim, write, Boolean::logicalOr);
        }
    }
}
