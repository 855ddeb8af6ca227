package io.kubelora.api.platform;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.kubelora.api.LoraFineTune;

/**
 * What the LoraFineTunes of one namespace may do, written by the cluster's administrators. Checked when a run is
 * created (the chart's ValidatingAdmissionPolicy) and again by the operator on the effective spec. Annotations only.
 */
@JsonClassDescription("Guardrails for the LoraFineTunes of this namespace, written by the cluster's administrators "
        + "(users of the namespace may read them). Every policy of the namespace applies; a list left out does not "
        + "restrict, a list given allows only what it names. Checked when a run is created or its spec changes "
        + "(ValidatingAdmissionPolicy, Kubernetes 1.30+) and by the operator before it creates the run's Job.")
@Group(LoraFineTune.GROUP)
@Version(LoraFineTune.VERSION)
@Kind(FineTunePolicy.KIND)
@Plural("finetunepolicies")
@Singular("finetunepolicy")
@ShortNames("ftpolicy")
@AdditionalPrinterColumn(name = "Max GPUs", jsonPath = ".spec.maxGpusPerRun",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Max Runs", jsonPath = ".spec.maxConcurrentRuns",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class FineTunePolicy extends CustomResource<FineTunePolicySpec, Void> implements Namespaced {

    public static final String KIND = "FineTunePolicy";

    /** Declared again only to mark spec as required in the generated schema. */
    @Override
    @Required
    public FineTunePolicySpec getSpec() {
        return super.getSpec();
    }

    @Override
    protected FineTunePolicySpec initSpec() {
        return null;
    }

    @Override
    protected Void initStatus() {
        return null;
    }
}
