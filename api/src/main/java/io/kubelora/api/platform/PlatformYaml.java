package io.kubelora.api.platform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.SpecLimits;
import io.kubelora.api.Violation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the platform's resources from YAML files (several documents each), as strictly as runs are read. */
public final class PlatformYaml {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper STRICT = LoraFineTuneYaml.strictJson();

    private PlatformYaml() {
    }

    /**
     * Every document of a YAML file, empty ones left out; the items of a v1 List (what {@code kubectl get -o yaml}
     * writes for several resources) count as documents of their own.
     */
    public static List<JsonNode> documents(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document == null || document.isNull() || document.isEmpty()) {
                    continue;
                }
                if ("List".equals(document.path("kind").asText()) && "v1".equals(document.path("apiVersion").asText())
                        && document.path("items").isArray()) {
                    document.path("items").forEach(documents::add);
                } else {
                    documents.add(document);
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }

    /** Whether the document is a kubelora.io resource of this kind. */
    public static boolean isKind(JsonNode document, String kind) {
        return kind.equals(document.path("kind").asText())
                && LoraFineTune.API_VERSION.equals(document.path("apiVersion").asText());
    }

    /** Reads a FineTunePolicy; every problem is an {@link InvalidSpecException} naming the field. */
    public static FineTunePolicy policy(JsonNode document, String source) {
        if (!isKind(document, FineTunePolicy.KIND)) {
            throw invalid(source, new Violation("document", "must be a " + LoraFineTune.API_VERSION + " "
                    + FineTunePolicy.KIND));
        }
        FineTunePolicy policy;
        try {
            policy = STRICT.readerFor(FineTunePolicy.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(document);
        } catch (JsonMappingException e) {
            throw invalid(source, new Violation(LoraFineTuneYaml.fieldPath(e), e.getOriginalMessage()));
        } catch (IOException e) {
            throw invalid(source, new Violation("document", e.getMessage()));
        }
        if (policy.getMetadata() == null || policy.getMetadata().getName() == null) {
            throw invalid(source, new Violation("metadata.name", "is required"));
        }
        if (policy.getSpec() == null) {
            throw invalid(source, new Violation("spec", "is required"));
        }
        List<Violation> problems = outOfBounds(policy.getSpec());
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(source, FineTunePolicy.KIND, problems);
        }
        return policy;
    }

    /** The CRD's bounds of a policy's numbers and lists, which the API server enforces on the cluster. */
    private static List<Violation> outOfBounds(FineTunePolicySpec p) {
        List<Violation> problems = new ArrayList<>();
        range(problems, "spec.maxGpusPerRun", p.maxGpusPerRun(), 0, 16);
        range(problems, "spec.maxRank", p.maxRank(), 1, 1024);
        range(problems, "spec.maxSeqLength", p.maxSeqLength(), 16, 131072);
        range(problems, "spec.maxActiveDeadlineSeconds", p.maxActiveDeadlineSeconds(), 1, Long.MAX_VALUE);
        range(problems, "spec.maxConcurrentRuns", p.maxConcurrentRuns(), 1, Integer.MAX_VALUE);
        for (Names list : List.of(new Names("spec.allowedProfiles", p.allowedProfiles(), SpecLimits.NAME_LENGTH),
                new Names("spec.allowedBaseModels", p.allowedBaseModels(), SpecLimits.URI_LENGTH),
                new Names("spec.allowedDatasets", p.allowedDatasets(), SpecLimits.URI_LENGTH),
                new Names("spec.allowedOutputs", p.allowedOutputs(), SpecLimits.URI_LENGTH),
                new Names("spec.allowedImages", p.allowedImages(), SpecLimits.IMAGE_LENGTH),
                new Names("spec.allowedServiceAccounts", p.allowedServiceAccounts(), SpecLimits.NAME_LENGTH),
                new Names("spec.allowedSecrets", p.allowedSecrets(), SpecLimits.NAME_LENGTH))) {
            list.check(problems);
        }
        return problems;
    }

    /** A list of a policy: names or prefixes, each of a bounded length. */
    private record Names(String field, List<String> values, int maxLength) {

        void check(List<Violation> problems) {
            if (values == null) {
                return;
            }
            if (values.size() > SpecLimits.POLICY_ENTRIES) {
                problems.add(new Violation(field, "must have at most " + SpecLimits.POLICY_ENTRIES + " items (has "
                        + values.size() + ")"));
            }
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i) == null || values.get(i).length() > maxLength) {
                    problems.add(new Violation(field + "[" + i + "]", "must be a text of at most " + maxLength
                            + " characters"));
                }
            }
        }
    }

    private static void range(List<Violation> problems, String field, Number value, long min, long max) {
        if (value != null && (value.longValue() < min || value.longValue() > max)) {
            problems.add(new Violation(field, "must be at least " + min
                    + (max == Long.MAX_VALUE || max == Integer.MAX_VALUE ? "" : " and at most " + max)
                    + " (was " + value + ")"));
        }
    }

    private static InvalidSpecException invalid(String source, Violation violation) {
        return new InvalidSpecException(source, FineTunePolicy.KIND, List.of(violation));
    }
}
