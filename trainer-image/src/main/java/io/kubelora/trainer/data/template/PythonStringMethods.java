package io.kubelora.trainer.data.template;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods that chat templates call on message content ({@code .strip()},
 * {@code .startswith(...)}, {@code .split('</think>')}, ...). Jinja2 templates run on Python strings;
 * Jinjava exposes Java strings, whose methods have other names or other semantics (Java {@code split}
 * takes a regex and drops trailing empty parts), so each is implemented here with Python's behaviour.
 * Anything else falls through to the next resolver.
 */
final class PythonStringMethods extends ELResolver {

    private static final Set<String> METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip",
            "split", "upper", "lower", "title", "capitalize", "replace", "find", "count", "join");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null || !METHODS.contains(method.toString())) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), args);
        context.setPropertyResolved(true);
        return result;
    }

    static Object call(String s, String method, Object[] args) {
        return switch (method) {
            case "startswith" -> matchesAny(s, args, true);
            case "endswith" -> matchesAny(s, args, false);
            case "strip" -> rstrip(lstrip(s, chars(args)), chars(args));
            case "lstrip" -> lstrip(s, chars(args));
            case "rstrip" -> rstrip(s, chars(args));
            case "split" -> split(s, args);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, args);
            case "find" -> (long) s.indexOf(argString(args, 0, method));
            case "count" -> count(s, argString(args, 0, method));
            case "join" -> join(s, args);
            default -> throw new IllegalStateException("unhandled str method " + method);
        };
    }

    private static boolean matchesAny(String s, Object[] args, boolean prefix) {
        if (args.length == 0) {
            throw new IllegalArgumentException((prefix ? "startswith" : "endswith") + "() takes an argument");
        }
        Iterable<?> candidates = args[0] instanceof Iterable<?> it ? it : List.of(args[0]);
        for (Object candidate : candidates) {
            String c = String.valueOf(candidate);
            if (prefix ? s.startsWith(c) : s.endsWith(c)) {
                return true;
            }
        }
        return false;
    }

    /** Characters to strip; null means Python's default (whitespace). */
    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : args[0].toString();
    }

    private static boolean strippable(int codePoint, String chars) {
        return chars == null ? Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)
                : chars.indexOf(codePoint) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!strippable(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!strippable(cp, chars)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** Python {@code str.split([sep[, maxsplit]])}: keeps empty parts when a separator is given. */
    static List<String> split(String s, Object[] args) {
        String sep = args.length == 0 || args[0] == null ? null : args[0].toString();
        long maxSplit = args.length > 1 && args[1] instanceof Number n ? n.longValue() : -1;
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            String rest = lstrip(s, null);
            while (!rest.isEmpty()) {
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(rest);
                    return parts;
                }
                int i = 0;
                while (i < rest.length() && !strippable(rest.codePointAt(i), null)) {
                    i += Character.charCount(rest.codePointAt(i));
                }
                parts.add(rest.substring(0, i));
                rest = lstrip(rest.substring(i), null);
            }
            return parts;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split(): empty separator");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isLetter(cp);
            out.appendCodePoint(cased ? (previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp)) : cp);
            previousCased = cased;
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    private static String replace(String s, Object[] args) {
        String old = argString(args, 0, "replace");
        String replacement = argString(args, 1, "replace");
        long limit = args.length > 2 && args[2] instanceof Number n ? n.longValue() : -1;
        if (limit < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long done = 0; done < limit; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object[] args) {
        if (args.length == 0 || !(args[0] instanceof Iterable<?> items)) {
            throw new IllegalArgumentException("join() takes a list of strings");
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(separator);
            }
            out.append(item);
            first = false;
        }
        return out.toString();
    }

    private static String argString(Object[] args, int index, String method) {
        if (args.length <= index || args[index] == null) {
            throw new IllegalArgumentException(method + "() is missing argument " + (index + 1));
        }
        return args[index].toString();
    }

    // The resolver only contributes method calls; property access is left to the next resolver.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
