package io.kubelora.api.platform;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.kubelora.api.LoraFineTune;

/**
 * A named template of a run, written by the cluster's administrators and used by runs of every namespace through
 * {@code spec.profile}. Cluster-scoped; annotations only.
 */
@JsonClassDescription("A named template of a LoraFineTune, written by the cluster's administrators: runs name it in "
        + "spec.profile and get every field of its template they leave out; the paths it locks they may not set.")
@Group(LoraFineTune.GROUP)
@Version(LoraFineTune.VERSION)
@Kind(FineTuneProfile.KIND)
@Plural("finetuneprofiles")
@Singular("finetuneprofile")
@ShortNames("ftprofile")
@AdditionalPrinterColumn(name = "GPUs", jsonPath = ".spec.template.resources.gpus",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Queue", jsonPath = ".spec.queueName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Description", jsonPath = ".spec.description",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class FineTuneProfile extends CustomResource<FineTuneProfileSpec, Void> {

    public static final String KIND = "FineTuneProfile";

    /** Declared again only to mark spec as required in the generated schema. */
    @Override
    @Required
    public FineTuneProfileSpec getSpec() {
        return super.getSpec();
    }

    @Override
    protected FineTuneProfileSpec initSpec() {
        return null;
    }

    @Override
    protected Void initStatus() {
        return null;
    }
}
