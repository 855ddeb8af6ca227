package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.kubelora.api.crd.ListTypeSet;
import java.util.List;

/** LoRA (Hu et al. 2021): W' = W + scaling * B A with A [r, in], B [out, r], only A and B trained. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.targetModules) || !self.targetModules.exists(m, m == 'all-linear') "
        + "|| size(self.targetModules) == 1",
        message = "spec.lora.targetModules: all-linear cannot be combined with other module names")
@ValidationRule(value = "!has(self.targetModules) || self.targetModules.all(m, m in ['all-linear', 'q_proj', "
        + "'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])",
        message = "spec.lora.targetModules: allowed names are all-linear, q_proj, k_proj, v_proj, o_proj, "
                + "gate_proj, up_proj, down_proj")
public record LoraSpec(
        @Min(1)
        @Max(1024)
        @JsonPropertyDescription("Rank r of the adapter matrices, 1 to 1024. Default 16. vLLM serves ranks up to "
                + "its --max-lora-rank (at most 512).")
        Integer rank,

        @Min(1)
        @Max(65536)
        @JsonPropertyDescription("LoRA alpha: the update is scaled by alpha/rank (alpha/sqrt(rank) with "
                + "useRslora). 1 to 65536, default 32.")
        Integer alpha,

        @Min(0.0)
        @Max(0.9)
        @JsonPropertyDescription("Dropout probability applied to the adapter input while training, "
                + "0 to 0.9. Default 0.05.")
        Double dropout,

        @Size(min = 1, max = SpecLimits.TARGET_MODULES)
        @ListTypeSet
        @JsonPropertyDescription("Decoder linears to adapt: any of q_proj, k_proj, v_proj, o_proj, gate_proj, "
                + "up_proj, down_proj, or [all-linear] for all seven (lm_head is never adapted). "
                + "Default [all-linear]. Each name at most once.")
        List<@Size(max = SpecLimits.MODULE_NAME_LENGTH) String> targetModules,

        @JsonPropertyDescription("Rank-stabilized LoRA: scale by alpha/sqrt(rank) instead of alpha/rank. "
                + "Default false.")
        Boolean useRslora) {

    public static final String ALL_LINEAR = "all-linear";
    /** The decoder linears of every supported architecture, in the order of a decoder layer. */
    public static final List<String> LINEAR_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraSpec {
        rank = rank == null ? 16 : rank;
        alpha = alpha == null ? 32 : alpha;
        dropout = dropout == null ? 0.05 : dropout;
        targetModules = targetModules == null ? List.of(ALL_LINEAR) : List.copyOf(targetModules);
        useRslora = useRslora != null && useRslora;
    }

    public static LoraSpec defaults() {
        return new LoraSpec(null, null, null, null, null);
    }

    /** The concrete module names to adapt, with all-linear expanded, in decoder-layer order. */
    @JsonIgnore
    public List<String> resolvedTargetModules() {
        if (targetModules.contains(ALL_LINEAR)) {
            return LINEAR_MODULES;
        }
        return LINEAR_MODULES.stream().filter(targetModules::contains).toList();
    }

    /** The factor applied to B A: alpha / r, or alpha / sqrt(r) for rsLoRA. */
    @JsonIgnore
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(rank) : (double) alpha / rank;
    }
}
