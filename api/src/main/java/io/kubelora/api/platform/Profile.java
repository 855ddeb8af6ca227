package io.kubelora.api.platform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.api.InvalidSpecException;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.ProfileReference;
import io.kubelora.api.QuantitySyntax;
import io.kubelora.api.SpecLimits;
import io.kubelora.api.SpecValidator;
import io.kubelora.api.Violation;
import io.kubelora.api.crd.SpecTemplate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A FineTuneProfile as the merge needs it: its settings read into the model, and its template kept as written.
 * The model fills every default in, so the template is merged from the tree instead: a field the template leaves
 * out must stay out, to be the run's or the default.
 *
 * @param name            metadata.name
 * @param resourceVersion metadata.resourceVersion, or null for a profile read from a file
 * @param spec            the profile's settings (its template with defaults filled in: do not merge that one)
 * @param template        spec.template as written, an empty object when left out
 */
public record Profile(String name, String resourceVersion, FineTuneProfileSpec spec, ObjectNode template) {

    private static final ObjectMapper STRICT = LoraFineTuneYaml.strictJson();

    /** Reads a FineTuneProfile document; every problem is an {@link InvalidSpecException} naming the field. */
    public static Profile of(JsonNode document, String source) {
        List<Violation> problems = new ArrayList<>();
        if (!FineTuneProfile.KIND.equals(document.path("kind").asText())
                || !LoraFineTune.API_VERSION.equals(document.path("apiVersion").asText())) {
            throw invalid(source, new Violation("document", "must be a " + LoraFineTune.API_VERSION + " "
                    + FineTuneProfile.KIND));
        }
        FineTuneProfile profile;
        try {
            profile = STRICT.readerFor(FineTuneProfile.class)
                    .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(document);
        } catch (JsonMappingException e) {
            throw invalid(source, new Violation(LoraFineTuneYaml.fieldPath(e), e.getOriginalMessage()));
        } catch (IOException e) {
            throw invalid(source, new Violation("document", e.getMessage()));
        }
        String name = profile.getMetadata() == null ? null : profile.getMetadata().getName();
        if (name == null || name.isBlank()) {
            problems.add(new Violation("metadata.name", "is required"));
        }
        if (profile.getSpec() == null) {
            throw invalid(source, new Violation("spec", "is required"));
        }
        JsonNode template = document.path("spec").path("template");
        for (String excluded : SpecTemplate.EXCLUDED) {
            if (template.has(excluded)) {
                problems.add(new Violation("spec.template." + excluded, "a profile cannot set it"));
            }
        }
        FineTuneProfileSpec spec = profile.getSpec();
        if (spec.template() != null) {
            for (Violation v : SpecValidator.validatePart(spec.template())) {
                problems.add(new Violation(v.field().replaceFirst("^spec\\.", "spec.template."), v.message()));
            }
        }
        bounded(problems, "spec.description", spec.description(), SpecLimits.DESCRIPTION_LENGTH);
        if (bounded(problems, "spec.queueName", spec.queueName(), SpecLimits.LABEL_VALUE_LENGTH)
                && spec.queueName() != null && !spec.queueName().matches(FineTuneProfileSpec.QUEUE_NAME_PATTERN)) {
            problems.add(new Violation("spec.queueName", "'" + spec.queueName() + "' is not a LocalQueue name: "
                    + "lower-case letters, digits, '-' and '.'"));
        }
        entries(problems, "spec.imagePullSecrets", spec.imagePullSecrets(), SpecLimits.IMAGE_PULL_SECRETS,
                SpecLimits.NAME_LENGTH);
        entries(problems, "spec.locked", spec.locked(), SpecLimits.POLICY_ENTRIES, SpecLimits.SPEC_PATH_LENGTH);
        List<String> locked = spec.locked();
        for (int i = 0; i < locked.size(); i++) {
            if (!isSpecField(locked.get(i))) {
                problems.add(new Violation("spec.locked[" + i + "]", "'" + locked.get(i)
                        + "' is not a field of a LoraFineTune spec"));
            }
        }
        if (profile.getSpec().gpuMemory() != null) {
            String memory = profile.getSpec().gpuMemory().toString();
            if (!QuantitySyntax.isQuantity(memory) || QuantitySyntax.sign(memory) <= 0) {
                problems.add(new Violation("spec.gpuMemory", "must be a positive quantity such as 80Gi (was '"
                        + memory + "')"));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(source, FineTuneProfile.KIND, problems);
        }
        return new Profile(name, profile.getMetadata().getResourceVersion(), profile.getSpec(),
                template.isObject() ? (ObjectNode) template : JsonNodeFactory.instance.objectNode());
    }

    private static boolean bounded(List<Violation> problems, String field, String value, int max) {
        if (value != null && value.length() > max) {
            problems.add(new Violation(field, "must be at most " + max + " characters (was " + value.length() + ")"));
            return false;
        }
        return true;
    }

    private static void entries(List<Violation> problems, String field, List<String> values, int maxItems,
            int maxLength) {
        if (values.size() > maxItems) {
            problems.add(new Violation(field, "must have at most " + maxItems + " items (has " + values.size() + ")"));
        }
        for (int i = 0; i < values.size(); i++) {
            bounded(problems, field + "[" + i + "]", values.get(i), maxLength);
        }
    }

    public ProfileReference reference() {
        return new ProfileReference(name, resourceVersion);
    }

    /** Whether a dotted path (spec.resources.gpus) names a field of the LoraFineTune spec model. */
    static boolean isSpecField(String path) {
        List<String> steps = Arrays.asList(path.split("\\."));
        if (steps.size() < 2 || !steps.get(0).equals("spec") || steps.get(1).equals("profile")) {
            return false;
        }
        JavaType type = STRICT.constructType(LoraFineTuneSpec.class);
        for (String step : steps.subList(1, steps.size())) {
            if (type == null || type.isContainerType() || type.getRawClass().getPackageName().startsWith("java.")) {
                return false;
            }
            type = STRICT.getSerializationConfig().introspect(type).findProperties().stream()
                    .filter(p -> p.getName().equals(step)).findFirst()
                    .map(BeanPropertyDefinition::getPrimaryType).orElse(null);
        }
        return type != null;
    }

    private static InvalidSpecException invalid(String source, Violation violation) {
        return new InvalidSpecException(source, FineTuneProfile.KIND, List.of(violation));
    }
}
