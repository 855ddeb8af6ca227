package io.kubelora.api;

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

/**
 * A LoRA or QLoRA fine-tuning run: the resource a user applies with kubectl and runs
 * locally with {@code kubelora train -f}. Annotations only; the spec and status records
 * carry the fields.
 */
@JsonClassDescription("A LoRA or QLoRA fine-tuning run of a Hugging Face causal language model. The operator "
        + "trains it in a Kubernetes Job and writes the adapter (and, when asked, the merged model) to spec.output; "
        + "the same document runs on a laptop with kubelora train -f.")
@Group(LoraFineTune.GROUP)
@Version(LoraFineTune.VERSION)
@Kind(LoraFineTune.KIND)
@Plural("lorafinetunes")
@Singular("lorafinetune")
@ShortNames("lft")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Progress", jsonPath = ".status.progress.steps", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Loss", jsonPath = ".status.progress.loss", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Eval Loss", jsonPath = ".status.progress.evalLoss",
        type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class LoraFineTune extends CustomResource<LoraFineTuneSpec, LoraFineTuneStatus> implements Namespaced {

    public static final String GROUP = "kubelora.io";
    public static final String VERSION = "v1alpha1";
    public static final String KIND = "LoraFineTune";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    /** Declared again only to mark spec as required in the generated schema. */
    @Override
    @Required
    public LoraFineTuneSpec getSpec() {
        return super.getSpec();
    }

    // Spec and status are immutable records without no-arg constructors: start empty.
    @Override
    protected LoraFineTuneSpec initSpec() {
        return null;
    }

    @Override
    protected LoraFineTuneStatus initStatus() {
        return null;
    }
}
