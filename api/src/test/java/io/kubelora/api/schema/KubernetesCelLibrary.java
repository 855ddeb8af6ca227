package io.kubelora.api.schema;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import io.kubelora.api.QuantitySyntax;
import java.util.List;

/**
 * The part of the API server's Kubernetes CEL quantity library that the CRD's rules use: {@code isQuantity(string)},
 * {@code quantity(string)} and {@code Quantity.sign()}, with the API server's quantity grammar.
 */
final class KubernetesCelLibrary {

    private static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");

    /** A parsed quantity, as the opaque CEL value {@code quantity()} returns. */
    record Quantity(String text) {
    }

    private KubernetesCelLibrary() {
    }

    static List<CelFunctionDecl> declarations() {
        return List.of(
                CelFunctionDecl.newFunctionDeclaration("isQuantity",
                        CelOverloadDecl.newGlobalOverload("is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration("quantity",
                        CelOverloadDecl.newGlobalOverload("quantity_string", QUANTITY, SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration("sign",
                        CelOverloadDecl.newMemberOverload("quantity_sign", SimpleType.INT, QUANTITY)));
    }

    static List<CelFunctionBinding> bindings() {
        return List.of(
                CelFunctionBinding.from("is_quantity_string", String.class, QuantitySyntax::isQuantity),
                // An invalid quantity is an evaluation error in the API server, as here.
                CelFunctionBinding.from("quantity_string", String.class, text -> {
                    if (!QuantitySyntax.isQuantity(text)) {
                        throw new IllegalArgumentException("invalid quantity: " + text);
                    }
                    return new Quantity(text);
                }),
                CelFunctionBinding.from("quantity_sign", Quantity.class, q -> (long) QuantitySyntax.sign(q.text())));
    }
}
