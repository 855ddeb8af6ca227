package io.kubelora.api.crd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A list of objects identified by key fields: {@code x-kubernetes-list-type: map} in the CRD, so the API server
 * rejects two items with the same keys (and server-side apply merges items by key). Applied by
 * {@link CrdSchemaRefinements}.
 */
@Target({ElementType.FIELD, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface ListTypeMap {

    /** The fields that identify an item; each must be required. */
    String[] keys();
}
