package io.kubelora.trainer.data.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/**
 * Jinja2's {@code trim} filter: Python's {@code str.strip([chars])}, which strips Unicode whitespace
 * (Jinjava's own trim stops at ASCII control characters and spaces). Llama 3's template trims every
 * message, so the difference would change the rendered text.
 */
final class TrimFilter implements Filter {

    @Override
    public String getName() {
        return "trim";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        if (value == null) {
            return "";
        }
        String chars = args.length > 0 ? args[0] : null;
        return PythonStringMethods.rstrip(PythonStringMethods.lstrip(value.toString(), chars), chars);
    }
}
