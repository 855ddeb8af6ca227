package io.kubelora.trainer.data.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Jinja2's {@code items} filter ({@code for k, v in d | items}): the (key, value) pairs of a mapping,
 * an empty list for an undefined value. Jinjava lacks it; Llama 3.1's template uses it for tool calls.
 */
final class ItemsFilter implements Filter {

    @Override
    public String getName() {
        return "items";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("items filter: expected a mapping, got " + value.getClass().getSimpleName());
        }
        List<List<Object>> pairs = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            pairs.add(Arrays.asList(e.getKey(), e.getValue()));
        }
        return pairs;
    }
}
