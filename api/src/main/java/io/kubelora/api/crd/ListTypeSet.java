package io.kubelora.api.crd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A list of distinct scalars: {@code x-kubernetes-list-type: set} in the CRD, so the API server itself rejects a
 * duplicate item, without a CEL rule that would compare every item with every other. Fabric8's generator has no
 * annotation for list types; {@link CrdSchemaRefinements} applies this one.
 */
@Target({ElementType.FIELD, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface ListTypeSet {
}
