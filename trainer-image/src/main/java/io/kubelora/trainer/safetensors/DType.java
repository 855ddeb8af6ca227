package io.kubelora.trainer.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types of the safetensors format, with their names in the header and their byte sizes. */
public enum DType {
    F64("F64", 8),
    F32("F32", 4),
    F16("F16", 2),
    BF16("BF16", 2),
    F8_E4M3("F8_E4M3", 1),
    F8_E5M2("F8_E5M2", 1),
    I64("I64", 8),
    I32("I32", 4),
    I16("I16", 2),
    I8("I8", 1),
    U64("U64", 8),
    U32("U32", 4),
    U16("U16", 2),
    U8("U8", 1),
    BOOL("BOOL", 1);

    private final String headerName;
    private final int byteSize;

    DType(String headerName, int byteSize) {
        this.headerName = headerName;
        this.byteSize = byteSize;
    }

    /** The name used in the safetensors header, e.g. {@code "BF16"}. */
    public String headerName() {
        return headerName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether {@link SafetensorsFile#readFloats} can convert this type to fp32. */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The type named {@code name} in a header, or an exception listing the known names. */
    public static DType fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.headerName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "' (known: "
                + Arrays.stream(values()).map(DType::headerName).collect(Collectors.joining(", ")) + ")");
    }

    /** The dtype a Hugging Face {@code torch_dtype} value names ("float32", "bfloat16", "float16"). */
    public static DType fromTorchDtype(String torchDtype) {
        return switch (torchDtype) {
            case "float32" -> F32;
            case "bfloat16" -> BF16;
            case "float16" -> F16;
            default -> throw new IllegalArgumentException("unsupported torch_dtype '" + torchDtype
                    + "' (supported: float32, bfloat16, float16)");
        };
    }

    /** The Hugging Face {@code torch_dtype} name of a floating-point type. */
    public String torchDtype() {
        return switch (this) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F64 -> "float64";
            default -> throw new IllegalStateException(headerName + " is not a model weight dtype");
        };
    }
}
