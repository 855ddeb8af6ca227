package io.kubelora.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;

/**
 * What the API server would say about a LoraFineTune document: first the structural schema (types, ranges,
 * enums, required and unknown fields), then, on a schema-valid document, every CEL rule. An empty list means
 * the document would be admitted.
 */
public final class CrdValidator {

    private static final YAMLMapper YAML = new YAMLMapper();

    private final CrdSchema crd;
    private final JsonSchema schema;
    private final CelRuleEvaluator cel;

    public CrdValidator(CrdSchema crd) {
        this.crd = crd;
        this.schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(crd.jsonSchema());
        this.cel = new CelRuleEvaluator(crd.celRules());
    }

    public static CrdValidator forProjectCrd() {
        return new CrdValidator(CrdSchema.load());
    }

    public List<String> validate(JsonNode document) {
        Set<ValidationMessage> structural = schema.validate(document);
        if (!structural.isEmpty()) {
            return structural.stream().map(ValidationMessage::getMessage).sorted().toList();
        }
        return cel.violations(crd.openApiSchema(), document);
    }

    public List<String> validate(String yaml) {
        return validate(parse(yaml));
    }

    static JsonNode parse(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("not YAML: " + yaml, e);
        }
    }
}
