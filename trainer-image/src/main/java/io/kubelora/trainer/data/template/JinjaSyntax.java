package io.kubelora.trainer.data.template;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the two pieces of Jinja2 expression syntax that chat templates use and Jinjava parses
 * differently, into equivalent expressions Jinjava reads the Jinja2 way:
 * <ul>
 *   <li>{@code seq[::-1]} (slice with a step, used by Qwen 3 to walk messages backwards) becomes
 *       {@code (seq|reverse|list)};</li>
 *   <li>keyword arguments whose value is an operator expression, e.g.
 *       {@code namespace(last=messages|length - 1)}: Jinjava binds {@code =} tighter than {@code -},
 *       so each keyword value is wrapped in parentheses: {@code namespace(last=(messages|length - 1))}.</li>
 * </ul>
 * Only the inside of {@code {{ }}} and {@code {% %}} tags is touched; text and comments are copied
 * as they are. Macro definitions are left alone (their defaults are not expressions Jinjava evaluates
 * through the same parser).
 */
final class JinjaSyntax {

    private static final Pattern KEYWORD_ARGUMENT = Pattern.compile("\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=(?!=)");
    private static final String REVERSE_SLICE = "[::-1]";

    private JinjaSyntax() {
    }

    static String adapt(String template) {
        StringBuilder out = new StringBuilder(template.length() + 32);
        int i = 0;
        while (i < template.length()) {
            int open = nextTagOpen(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open);
            char kind = template.charAt(open + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = kind == '#' ? template.indexOf(close, open + 2) : indexOutsideStrings(template, close, open + 2);
            if (end < 0) {
                // Unterminated tag: leave the rest for the parser to report.
                out.append(template, open, template.length());
                break;
            }
            String body = template.substring(open + 2, end);
            boolean rewrite = kind != '#' && !isMacroDefinition(body);
            out.append(template, open, open + 2).append(rewrite ? adaptExpression(body) : body).append(close);
            i = end + 2;
        }
        return out.toString();
    }

    private static int nextTagOpen(String s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            if (s.charAt(i) == '{') {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Index just past the string literal opening at {@code start}. */
    private static int stringEnd(String s, int start) {
        char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                return i + 1;
            }
            i++;
        }
        return s.length();
    }

    private static boolean isMacroDefinition(String body) {
        String t = body.strip();
        if (t.startsWith("-") || t.startsWith("+")) {
            t = t.substring(1).strip();
        }
        return t.startsWith("macro ") || t.startsWith("call");
    }

    static String adaptExpression(String expression) {
        return wrapKeywordValues(rewriteReverseSlices(expression));
    }

    /** {@code primary[::-1]} -> {@code (primary|reverse|list)}. */
    private static String rewriteReverseSlices(String e) {
        int at = indexOutsideStrings(e, REVERSE_SLICE, 0);
        while (at >= 0) {
            int start = primaryStart(e, at);
            String primary = e.substring(start, at);
            String replacement = "(" + primary + "|reverse|list)";
            e = e.substring(0, start) + replacement + e.substring(at + REVERSE_SLICE.length());
            at = indexOutsideStrings(e, REVERSE_SLICE, start + replacement.length());
        }
        return e;
    }

    private static int indexOutsideStrings(String s, String needle, int from) {
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                continue;
            }
            if (s.startsWith(needle, i)) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** Walks back from {@code end} over a name, attribute accesses and balanced subscripts/calls. */
    private static int primaryStart(String s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                i = matchingOpen(s, i - 1);
            } else {
                break;
            }
        }
        return i;
    }

    private static int matchingOpen(String s, int closeIndex) {
        char close = s.charAt(closeIndex);
        char open = close == ']' ? '[' : '(';
        int depth = 0;
        for (int i = closeIndex; i >= 0; i--) {
            char c = s.charAt(i);
            if (c == close) {
                depth++;
            } else if (c == open && --depth == 0) {
                return i;
            }
        }
        return 0;
    }

    /** Wraps the value of every keyword argument of a call in parentheses. */
    private static String wrapKeywordValues(String e) {
        StringBuilder out = new StringBuilder(e.length() + 8);
        Deque<Frame> frames = new ArrayDeque<>();
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(e, i);
                out.append(e, i, end);
                i = end;
                continue;
            }
            Frame top = frames.peek();
            if ((c == ',' || c == ')' || c == ']' || c == '}') && top != null && top.wrapping) {
                out.append(')');
                top.wrapping = false;
            }
            out.append(c);
            i++;
            if (c == '(' || c == '[' || c == '{') {
                boolean call = c == '(' && isCallOpening(e, i - 1);
                frames.push(new Frame(call));
                i = keywordStart(e, i, frames.peek(), out);
            } else if (c == ')' || c == ']' || c == '}') {
                if (!frames.isEmpty()) {
                    frames.pop();
                }
            } else if (c == ',' && top != null) {
                i = keywordStart(e, i, top, out);
            }
        }
        return out.toString();
    }

    /** At the start of an argument: copies {@code name=} and opens the wrapping parenthesis. */
    private static int keywordStart(String e, int i, Frame frame, StringBuilder out) {
        if (!frame.call) {
            return i;
        }
        Matcher m = KEYWORD_ARGUMENT.matcher(e).region(i, e.length());
        if (m.lookingAt()) {
            out.append(e, i, m.end()).append('(');
            frame.wrapping = true;
            return m.end();
        }
        return i;
    }

    private static boolean isCallOpening(String e, int parenIndex) {
        int j = parenIndex - 1;
        while (j >= 0 && e.charAt(j) == ' ') {
            j--;
        }
        if (j < 0) {
            return false;
        }
        char prev = e.charAt(j);
        return Character.isLetterOrDigit(prev) || prev == '_' || prev == ')' || prev == ']';
    }

    private static final class Frame {
        final boolean call;
        boolean wrapping;

        Frame(boolean call) {
            this.call = call;
        }
    }
}
