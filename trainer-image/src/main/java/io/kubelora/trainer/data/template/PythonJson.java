package io.kubelora.trainer.data.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code tojson} filter as Hugging Face's chat-template environment defines it: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)}. That means {@code ", "} and {@code ": "}
 * separators on one line, {@code ","} and a newline per item when {@code indent} is given, and no
 * escaping of non-ASCII characters. Tool schemas rendered into prompts must match byte for byte.
 */
final class PythonJson implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0].strip()) : null;
        return dumps(value, indent);
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        return dumps(value, indent instanceof Number n ? Integer.valueOf(n.intValue())
                : indent == null ? null : Integer.valueOf(indent.toString().strip()));
    }

    static String dumps(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Integer indent, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            out.append(d == Math.rint(d) && Math.abs(d) < 1e16 ? (long) d + ".0" : Double.toString(d));
        } else if (value instanceof Number n) {
            out.append(n);
        } else if (value instanceof Map<?, ?> map) {
            writeContainer(out, '{', '}', map.entrySet(), indent, level, (o, e) -> {
                writeString(o, String.valueOf(e.getKey()));
                o.append(": ");
                write(o, e.getValue(), indent, level + 1);
            });
        } else if (value instanceof Iterable<?> items) {
            writeContainer(out, '[', ']', items, indent, level, (o, item) -> write(o, item, indent, level + 1));
        } else if (value instanceof Object[] array) {
            writeContainer(out, '[', ']', Arrays.asList(array), indent, level,
                    (o, item) -> write(o, item, indent, level + 1));
        } else {
            writeString(out, value.toString());
        }
    }

    private interface ItemWriter<T> {
        void write(StringBuilder out, T item);
    }

    private static <T> void writeContainer(StringBuilder out, char open, char close, Iterable<T> items,
                                           Integer indent, int level, ItemWriter<T> writer) {
        out.append(open);
        boolean empty = true;
        for (T item : items) {
            if (!empty) {
                out.append(indent == null ? ", " : ",");
            }
            if (indent != null) {
                out.append('\n').append(" ".repeat(indent * (level + 1)));
            }
            writer.write(out, item);
            empty = false;
        }
        if (indent != null && !empty) {
            out.append('\n').append(" ".repeat(indent * level));
        }
        out.append(close);
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
