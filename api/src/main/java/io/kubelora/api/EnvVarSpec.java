package io.kubelora.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * A plain environment variable of the trainer (a proxy, HF_ENDPOINT). Only plain values: a secret is referenced
 * through spec.credentials, never written here. Names the trainer sets itself, or that would change the code it
 * runs or the GPUs it sees, are refused: a run could otherwise replace its credentials or load code of its own
 * next to the Secrets it may use.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!self.name.startsWith('KUBELORA_') && !self.name.startsWith('AWS_') "
        + "&& !self.name.startsWith('LD_') && !self.name.startsWith('DJL_') && !self.name.startsWith('PYTORCH_') "
        + "&& !self.name.startsWith('JAVA_') && !self.name.startsWith('JDK_') && !self.name.startsWith('_JAVA_') "
        + "&& !self.name.startsWith('NVIDIA_') "
        + "&& !(self.name in ['HOME', 'PATH', 'HF_TOKEN', 'CUDA_VISIBLE_DEVICES'])",
        message = EnvVarSpec.RESERVED_MESSAGE)
public record EnvVarSpec(
        @Required
        @Pattern(NAME_PATTERN)
        @Size(max = SpecLimits.ENV_NAME_LENGTH)
        @JsonPropertyDescription("Name of the variable: letters, digits and '_', not starting with a digit.")
        String name,

        @Size(max = SpecLimits.ENV_VALUE_LENGTH)
        @JsonPropertyDescription("Its value, as written: $(NAME) is not expanded. Default empty.")
        String value) {

    public static final String NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
    /** Prefixes of names the trainer sets or reads for credentials, native libraries, the JVM or its GPUs. */
    public static final List<String> RESERVED_PREFIXES =
            List.of("KUBELORA_", "AWS_", "LD_", "DJL_", "PYTORCH_", "JAVA_", "JDK_", "_JAVA_", "NVIDIA_");
    public static final List<String> RESERVED_NAMES = List.of("HOME", "PATH", "HF_TOKEN", "CUDA_VISIBLE_DEVICES");
    /** The reserved names as the CRD's rule and the validator's messages list them. */
    static final String RESERVED = "KUBELORA_*, AWS_*, LD_*, DJL_*, PYTORCH_*, JAVA_*, JDK_*, _JAVA_*, NVIDIA_*, "
            + "HOME, PATH, HF_TOKEN, CUDA_VISIBLE_DEVICES";
    static final String RESERVED_MESSAGE = "spec.env[].name: the trainer sets these variables itself, or they "
            + "would change the code it runs or the GPUs it sees: " + RESERVED;

    /** Whether a run may not set this variable. */
    public static boolean isReserved(String name) {
        return RESERVED_NAMES.contains(name) || RESERVED_PREFIXES.stream().anyMatch(name::startsWith);
    }
}
