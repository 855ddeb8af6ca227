package io.kubelora.api;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grammar of a Kubernetes quantity, as the API server's {@code resource.ParseQuantity} (and the CEL
 * {@code isQuantity} of the CRD's rules) reads it: a signed decimal number, then a binary-SI suffix (Ki .. Ei),
 * a decimal-SI suffix (n, u, m, k, M .. E) or a decimal exponent (e3, E-2). {@code 5 Gi}, {@code 5GB} and
 * {@code lots} are not quantities.
 */
public final class QuantitySyntax {

    private static final Pattern QUANTITY =
            Pattern.compile("^([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$");

    private QuantitySyntax() {
    }

    public static boolean isQuantity(String text) {
        return text != null && QUANTITY.matcher(text).matches();
    }

    /** -1, 0 or 1: the sign of the quantity's value; the text must be a quantity. */
    public static int sign(String text) {
        Matcher m = QUANTITY.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a quantity: " + text);
        }
        String number = m.group(1);
        return new BigDecimal(number.endsWith(".") ? number + "0" : number).signum();
    }
}
