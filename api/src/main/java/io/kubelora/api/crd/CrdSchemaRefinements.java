package io.kubelora.api.crd;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.CustomResource;
import java.lang.annotation.Annotation;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What Fabric8's CRD generator (7.4) leaves out of the schema although the Java model says it, added after
 * generation by walking the schema and the model's classes side by side:
 * <ul>
 *   <li>{@link JsonClassDescription} as the description of an object that has none (the resource itself,
 *       spec, status), so {@code kubectl explain} describes them; newer generators do this natively;</li>
 *   <li>{@link Size} on an int-or-string field (a {@code Quantity}) as its maxLength, which the generator
 *       applies to strings, lists and maps only;</li>
 *   <li>{@link ListTypeSet} as {@code x-kubernetes-list-type: set}, {@link ListTypeMap} as
 *       {@code x-kubernetes-list-type: map} with its keys;</li>
 *   <li>{@link SpecTemplate}: a spec with every field optional;</li>
 *   <li>no status at all for a resource whose status type is {@link Void} (the generator writes an empty,
 *       undescribed one).</li>
 * </ul>
 */
public final class CrdSchemaRefinements implements CRDPostProcessor {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Resource class by CRD name and version, e.g. lorafinetunes.kubelora.io/v1alpha1. */
    private final Map<String, Class<?>> resources = new HashMap<>();

    public CrdSchemaRefinements(Collection<Class<? extends HasMetadata>> resourceClasses) {
        for (Class<? extends HasMetadata> type : resourceClasses) {
            resources.put(HasMetadata.getFullResourceName(type) + "/" + HasMetadata.getVersion(type), type);
        }
    }

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition definition) {
            for (CustomResourceDefinitionVersion version : definition.getSpec().getVersions()) {
                Class<?> type = resources.get(definition.getMetadata().getName() + "/" + version.getName());
                if (type == null) {
                    throw new IllegalStateException("no resource class for " + definition.getMetadata().getName()
                            + " version " + version.getName());
                }
                JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
                refine(root, MAPPER.constructType(type));
                JavaType[] specAndStatus = MAPPER.getTypeFactory().findTypeParameters(type, CustomResource.class);
                if (specAndStatus.length == 2 && specAndStatus[1].getRawClass() == Void.class) {
                    root.getProperties().remove("status");
                }
            }
        }
        return crd;
    }

    private static void refine(JSONSchemaProps schema, JavaType type) {
        if (schema == null) {
            return;
        }
        if (type.isCollectionLikeType() || type.isArrayType()) {
            refine(schema.getItems() == null ? null : schema.getItems().getSchema(), type.getContentType());
            return;
        }
        if (type.isMapLikeType()) {
            refine(schema.getAdditionalProperties() == null ? null : schema.getAdditionalProperties().getSchema(),
                    type.getContentType());
            return;
        }
        if (schema.getProperties() == null || schema.getProperties().isEmpty()) {
            return;
        }
        JsonClassDescription description = type.getRawClass().getAnnotation(JsonClassDescription.class);
        if (description != null && schema.getDescription() == null) {
            schema.setDescription(description.value());
        }
        BeanDescription bean = MAPPER.getSerializationConfig().introspect(type);
        for (BeanPropertyDefinition property : bean.findProperties()) {
            JSONSchemaProps child = schema.getProperties().get(property.getName());
            if (child == null) {
                continue;
            }
            Size size = annotation(property, Size.class);
            if (size != null && Boolean.TRUE.equals(child.getXKubernetesIntOrString()) && child.getMaxLength() == null
                    && size.max() < Long.MAX_VALUE) {
                child.setMaxLength(size.max());
            }
            if (annotation(property, ListTypeSet.class) != null) {
                child.setXKubernetesListType("set");
            }
            ListTypeMap map = annotation(property, ListTypeMap.class);
            if (map != null) {
                child.setXKubernetesListType("map");
                child.setXKubernetesListMapKeys(List.of(map.keys()));
            }
            refine(child, property.getPrimaryType());
            if (annotation(property, SpecTemplate.class) != null) {
                optional(child);
                child.setXKubernetesValidations(null);
                for (String excluded : SpecTemplate.EXCLUDED) {
                    child.getProperties().remove(excluded);
                }
            }
        }
    }

    /**
     * Drops the required fields of an object and of the objects below it, but not of list items: the keys of a
     * list of type map (env[].name) must stay required.
     */
    private static void optional(JSONSchemaProps schema) {
        schema.setRequired(null);
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(CrdSchemaRefinements::optional);
        }
    }

    /** The annotation on the record component, whether the compiler put it on the field or the accessor. */
    private static <A extends Annotation> A annotation(BeanPropertyDefinition property, Class<A> type) {
        return Stream.of(property.getField(), property.getGetter())
                .filter(Objects::nonNull)
                .map(Annotated::getAnnotated)
                .map(element -> element.getAnnotation(type))
                .filter(Objects::nonNull)
                .findFirst().orElse(null);
    }
}
