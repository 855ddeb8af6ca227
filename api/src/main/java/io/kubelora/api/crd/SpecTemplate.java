package io.kubelora.api.crd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A LoraFineTune spec in which every field is optional: a FineTuneProfile's template. {@link CrdSchemaRefinements}
 * drops the spec's required fields (at every depth: a template may set dataset.maxSeqLength, the run its uri) and
 * its rules across fields (the operator checks them on the effective spec,
 * once the run's fields are merged in) and the fields a template cannot give: profile and suspend.
 */
@Target({ElementType.FIELD, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface SpecTemplate {

    /** Fields of a run's spec that a template may not set. */
    String[] EXCLUDED = {"profile", "suspend"};
}
